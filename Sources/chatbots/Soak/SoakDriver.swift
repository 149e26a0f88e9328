import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Synchronization

/// Moves the soak's clock through the days, a simulated minute at a time, and measures
/// at every report.
final class SoakDriver: Sendable {
    let plan: SoakPlan
    let clock: VirtualClock
    let emulator: Emulator
    let parts: BotRuntime.Parts
    let storePath: String
    let metricsURL: String
    /// Minutes that ended before their frames were read (the socket was replaced).
    let stalls = Atomic(0)
    /// Frames counted as broadcast that never reached the runtime (sent to a socket as
    /// it closed): the targets leave them out from then on.
    let lost = Atomic(0)

    init(plan: SoakPlan, clock: VirtualClock, emulator: Emulator, parts: BotRuntime.Parts, storePath: String, metricsURL: String) {
        self.plan = plan
        self.clock = clock
        self.emulator = emulator
        self.parts = parts
        self.storePath = storePath
        self.metricsURL = metricsURL
    }

    /// Runs every day; calls `onReport` with each report as it is made.
    func run(onReport: @Sendable (SoakReport) -> Void) async throws -> [SoakReport] {
        var reports: [SoakReport] = []
        let perMinute = Double(plan.stepsPerDay) / 1_440
        var due = 0.0
        var slowestMetrics = 0.0
        var since = mark(day: 0)
        for day in 1...plan.days {
            for _ in 0..<1_440 {
                try Task.checkCancellation()
                due += perMinute
                let steps = Int(due)
                due -= Double(steps)
                if steps > 0 { emulator.generate(steps: steps) }
                try await settle()
                clock.advance(by: .seconds(60))
            }
            slowestMetrics = max(slowestMetrics, try await timeMetrics())
            guard day % plan.reportEvery == 0 || day == plan.days else { continue }
            for _ in 0..<5 { slowestMetrics = max(slowestMetrics, try await timeMetrics()) }
            let report = try await measure(day: day, since: since, slowestMetrics: slowestMetrics)
            onReport(report)
            reports.append(report)
            slowestMetrics = 0
            since = mark(day: day)
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

    private func mark(day: Int) -> Mark {
        Mark(day: day, chatsOpened: emulator.status.chatsOpenedInAll, events: parts.engine.statistics.eventsHandled, real: .now)
    }

    /// Lets the desk finish its minute before the clock moves on, as a backend that
    /// answers in milliseconds does: the runtime reads every frame (stamped with this
    /// minute), handles it, delivers what the bots decided, and reads the frames those
    /// actions caused (an assignment's `assign_curator`). An action that stays in the
    /// outbox (retried with backoff) ends the wait once the outbox stops shrinking.
    private func settle() async throws {
        for _ in 0..<5 {
            let sent = framesSent()
            // Frames broadcast while the socket was being replaced may never arrive (or
            // count twice): after 10 s the minute ends anyway, the report says so, and
            // what never came is left out of the next targets.
            guard await framesRead(sent, within: .seconds(10)) else {
                stalls.add(1, ordering: .relaxed)
                lost.add(max(0, sent - parts.gateway.statistics.framesReceived), ordering: .relaxed)
                return
            }
            await parts.engine.waitUntilIdle()
            try await letDeliveryCatchUp()
            if framesSent() == sent { return }
        }
    }

    /// Frames the emulator sent that the runtime should read.
    private func framesSent() -> Int {
        emulator.status.framesBroadcast - lost.load(ordering: .relaxed)
    }

    /// Whether the runtime read `sent` frames within `limit`.
    private func framesRead(_ sent: Int, within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { [parts] in
                await parts.gateway.waitUntil { _, counters in counters.framesReceived >= sent }
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let read = await group.next() ?? false
            group.cancelAll()
            return read
        }
    }

    private func letDeliveryCatchUp() async throws {
        var fewest = Int.max
        var still = 0
        while true {
            let pending = try await parts.store.pendingActionCount()
            if pending == 0 { return }
            still = pending < fewest ? 0 : still + 1
            if still >= 50 { return }
            fewest = min(fewest, pending)
            try await Task.sleep(for: .milliseconds(1))
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
            reconnects: parts.gateway.statistics.disconnections, stalls: stalls.load(ordering: .relaxed),
            realSeconds: (ContinuousClock.now - since.real).timeInterval
        )
        report.burstEventsPerSecond = try await burstRate()
        return report
    }

    /// Events per second of a burst handed over at once, from the first frame sent
    /// until the last event is handled and committed.
    private func burstRate() async throws -> Double {
        let before = parts.engine.statistics.eventsHandled
        let target = framesSent() + emulator.generateBurst(frames: plan.burst)
        let started = ContinuousClock.now
        guard await framesRead(target, within: .seconds(120)) else {
            stalls.add(1, ordering: .relaxed)
            lost.add(max(0, target - parts.gateway.statistics.framesReceived), ordering: .relaxed)
            return 0
        }
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
