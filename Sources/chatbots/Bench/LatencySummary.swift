import ChatBotKit
import Foundation

/// Percentiles of one latency, exact: from every sample, sorted (a run holds at most a
/// few hundred thousand).
struct LatencySummary: Sendable, Equatable {
    let count: Int
    let p50: Double
    let p99: Double
    let p999: Double
    let max: Double

    /// `samples` in seconds; `nil` when there are none.
    init?(seconds samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        func percentile(_ fraction: Double) -> Double {
            // The smallest sample that at least `fraction` of all samples do not exceed.
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            return sorted[Swift.max(0, Swift.min(sorted.count, rank) - 1)]
        }
        count = sorted.count
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        p999 = percentile(0.999)
        max = sorted[sorted.count - 1]
    }

    /// From each chat's `new_chat` frame leaving the emulator to the first assignment
    /// the emulator received for that chat; only chats opened at `since` or later.
    static func openingToAssignment(
        opened: [ChatID: Date], actions: [(path: String, receivedAt: Date)], since: Date = .distantPast
    ) -> LatencySummary? {
        var firstAssignment: [ChatID: Date] = [:]
        for action in actions where action.path.hasSuffix("/assign/") {
            let parts = action.path.split(separator: "/")
            guard parts.count >= 3 else { continue }
            let chat = ChatID(String(parts[parts.count - 2]))
            if firstAssignment[chat] == nil { firstAssignment[chat] = action.receivedAt }
        }
        let samples = firstAssignment.compactMap { chat, received -> Double? in
            guard let openedAt = opened[chat], openedAt >= since else { return nil }
            return received.timeIntervalSince(openedAt)
        }
        return LatencySummary(seconds: samples)
    }

    var report: String {
        func milliseconds(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1_000) }
        return "\(count) chats: p50 \(milliseconds(p50)), p99 \(milliseconds(p99)), p99.9 \(milliseconds(p999)), max \(milliseconds(max))"
    }
}
