import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation

/// Moves the soak's clock through the days, a simulated minute at a time, and measures
/// at every report.
struct SoakDriver: Sendable {
    let plan: SoakPlan
    let clock: VirtualClock
    let emulator: Emulator
    let parts: BotRuntime.Parts
    let storePath: String
    let metricsURL: String

    /// Runs every day; calls `onReport` with each report as it is made.
    func run(onReport: @Sendable (SoakReport) -> Void) async throws -> [SoakReport] {
        var reports: [SoakReport] = []
        let perMinute = Double(plan.stepsPerDay) / 1_440
        var due = 0.0
        var slowestMetrics = 0.0
        var since = Mark(day: 0, chatsOpened: emulator.status.chatsOpenedInAll, events: parts.engine.statistics.eventsHandled, real: .now)
        for day in 1...plan.days {
            for minute in 0..<1_440 {
                try Task.checkCancellation()
                due += perMinute
                let steps = Int(due)
                due -= Double(steps)
                if steps > 0 { emulator.generate(steps: steps) }
                // The minute's frames are read (stamped with this minute) before it ends.
                let sent = emulator.status.framesBroadcast
                await parts.gateway.waitUntil { _, counters in counters.framesReceived >= sent }
                clock.advance(by: .seconds(60))
                if minute % 60 == 59 { try await letDeliveryCatchUp() }
            }
            slowestMetrics = max(slowestMetrics, try await timeMetrics())
            guard day % plan.reportEvery == 0 || day == plan.days else { continue }
            for _ in 0..<5 { slowestMetrics = max(slowestMetrics, try await timeMetrics()) }
            let report = try await measure(day: day, since: since, slowestMetrics: slowestMetrics)
            onReport(report)
            reports.append(report)
            slowestMetrics = 0
            since = Mark(day: day, chatsOpened: emulator.status.chatsOpenedInAll, events: parts.engine.statistics.eventsHandled, real: .now)
        }
        return reports
    }

    /// Where the last report left off.
    private struct Mark {
        var day: Int
        var chatsOpened: Int
        var events: Int
        var real: ContinuousClock.Instant
    }

    /// Waits, briefly, for the outbox to empty: each simulated hour, so actions go out
    /// in the simulated time they were decided in (an action retried with backoff may
    /// stay: the wait ends when the outbox stops shrinking).
    private func letDeliveryCatchUp() async throws {
        var last = Int.max
        var still = 0
        for _ in 0..<400 {
            let pending = try await parts.store.pendingActionCount()
            if pending == 0 { return }
            still = pending < last ? 0 : still + 1
            if still >= 20 { return }
            last = min(last, pending)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// How long `/metrics` takes to answer, in milliseconds.
    private func timeMetrics() async throws -> Double {
        let started = ContinuousClock.now
        let response = try await AsyncHTTPTransport(timeout: .seconds(10)).perform(OutgoingRequest(method: "GET", url: metricsURL))
        let elapsed = ContinuousClock.now - started
        guard response.status == 200 else { throw SoakFailure("/metrics answered \(response.status)") }
        return elapsed.timeInterval * 1_000
    }

    private func measure(day: Int, since: Mark, slowestMetrics: Double) async throws -> SoakReport {
        let statistics = parts.engine.statistics
        let chatsOpened = emulator.status.chatsOpenedInAll
        let days = Double(day - since.day)
        let opened = Double(chatsOpened - since.chatsOpened)
        var report = SoakReport(
            day: day, residentBytes: ProcessUsage.residentBytes(), storeBytes: Self.size(of: storePath), walBytes: Self.size(of: storePath + "-wal"),
            chatsPerDay: opened / days, eventsPerChat: opened > 0 ? Double(statistics.eventsHandled - since.events) / opened : 0,
            chatsInMemory: parts.engine.worldModel.chats.count, chatsForgotten: statistics.chatsForgotten,
            pendingTimers: parts.engine.pendingTimerCount, slowestMetricsMilliseconds: slowestMetrics,
            clockAt: clock.now(), lastEventAt: parts.gateway.statistics.lastEventAt,
            realSeconds: (ContinuousClock.now - since.real).timeInterval
        )
        report.burstEventsPerSecond = try await burstRate()
        return report
    }

    /// Events per second of a burst handed over at once, from the first frame sent
    /// until the last event is handled and committed.
    private func burstRate() async throws -> Double {
        let before = parts.engine.statistics.eventsHandled
        let target = emulator.status.framesBroadcast + emulator.generateBurst(frames: plan.burst)
        let started = ContinuousClock.now
        await parts.gateway.waitUntil { _, counters in counters.framesReceived >= target }
        await parts.engine.waitUntilIdle()
        let elapsed = (ContinuousClock.now - started).timeInterval
        return Double(parts.engine.statistics.eventsHandled - before) / max(elapsed, 1e-6)
    }

    private static func size(of path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

struct SoakFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
