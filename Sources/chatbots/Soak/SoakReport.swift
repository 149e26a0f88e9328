import Foundation

/// What the soak measured at one report.
struct SoakReport: Sendable {
    var day: Int
    /// The process's resident set (runtime and emulator), before the burst.
    var residentBytes: Int?
    var storeBytes: Int
    var walBytes: Int
    /// Since the last report.
    var chatsPerDay: Double
    var eventsPerChat: Double
    var chatsInMemory: Int
    var chatsForgotten: Int
    var pendingTimers: Int
    /// The slowest `/metrics` answer since the last report (one a simulated day, five at the report).
    var slowestMetricsMilliseconds: Double
    /// The soak's clock, and the time the gateway stamped on the last event it read.
    var clockAt: Date
    var lastEventAt: Date?
    /// Sockets lost so far, and minutes that ended before their frames were read.
    var reconnects: Int
    var stalls: Int
    /// Real time since the last report.
    var realSeconds: Double
    var burstEventsPerSecond = 0.0

    var line: String {
        let resident = residentBytes.map { Self.mebibytes($0) } ?? "n/a"
        return "day \(String(format: "%3d", day))  RSS \(resident)  store \(Self.mebibytes(storeBytes)) (+ WAL \(Self.mebibytes(walBytes)))"
            + "  burst \(Int(burstEventsPerSecond.rounded())) ev/s  /metrics ≤ \(String(format: "%.1f", slowestMetricsMilliseconds)) ms"
            + "  chats/day \(Int(chatsPerDay.rounded()))  events/chat \(String(format: "%.1f", eventsPerChat))"
            + "  in memory \(chatsInMemory) chats, \(pendingTimers) timers  forgotten \(chatsForgotten)"
            + (reconnects + stalls > 0 ? "  reconnects \(reconnects), stalled minutes \(stalls)" : "") + "  (\(Int(realSeconds.rounded())) s)"
    }

    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// The issue's four targets, each with its figures and whether it is met.
    static func verdict(_ reports: [SoakReport], retentionDays: Int) -> String {
        guard let first = reports.first, let last = reports.last, reports.count > 1 else {
            return "one report only: nothing to compare"
        }
        var lines = ["from day \(first.day) to day \(last.day):"]
        func say(_ met: Bool, _ text: String) { lines.append("  \(met ? "met    " : "NOT MET") \(text)") }
        if let start = first.residentBytes, let end = last.residentBytes {
            let ratio = Double(end) / Double(start)
            say(ratio <= 1.25, "RSS \(mebibytes(start)) → \(mebibytes(end)) (\(String(format: "%.2f", ratio)) ×, at most 1.25 ×)")
        }
        if let settled = reports.first(where: { $0.day >= retentionDays + 7 }), settled.day < last.day {
            let ratio = Double(last.storeBytes) / Double(max(1, settled.storeBytes))
            say(
                ratio <= 1.10,
                "store \(mebibytes(settled.storeBytes)) at day \(settled.day) → \(mebibytes(last.storeBytes)) (\(String(format: "%.2f", ratio)) ×, flat within 10 % after the \(retentionDays)-day retention)"
            )
        } else {
            lines.append("  (store: the run is too short to pass the \(retentionDays)-day retention)")
        }
        let burst = last.burstEventsPerSecond / max(first.burstEventsPerSecond, 1e-9)
        say(
            burst >= 0.9,
            "burst \(Int(first.burstEventsPerSecond.rounded())) → \(Int(last.burstEventsPerSecond.rounded())) ev/s (\(String(format: "%.2f", burst)) ×, within 10 %)"
        )
        let slowest = reports.map(\.slowestMetricsMilliseconds).max() ?? 0
        say(slowest < 50, "/metrics at most \(String(format: "%.1f", slowest)) ms (under 50 ms)")
        return lines.joined(separator: "\n")
    }
}
