import ChatBotKit
import Foundation
import Synchronization

extension BotRuntime {
    /// The runtime's status now: what `/ready` answers. `nil` before it started.
    public func status() async -> RuntimeStatus? {
        guard let parts else { return nil }
        return await status(of: parts)
    }

    /// The port the monitoring endpoint listens on, once it does.
    public func waitForMonitoringPort() async -> Int? {
        while !Task.isCancelled {
            let token = startSignal.token
            if let port = monitoringPort.withLock({ $0 }) { return port }
            await startSignal.wait(since: token)
        }
        return nil
    }

    func status(of parts: Parts) async -> RuntimeStatus {
        let connected = if case .connected = parts.gateway.connectionState { true } else { false }
        let storeProblem = await Self.writeLockProblem(parts.store, within: Self.storeCheckBudget)
        let counts = try? await parts.store.outboxCounts()
        let lastEvent = parts.gateway.statistics.lastEventAt
        return RuntimeStatus(
            connected: connected,
            storeWritable: storeProblem == nil && counts != nil,
            storeProblem: storeProblem ?? (counts == nil ? "the outbox could not be read" : nil),
            outboxPending: counts?.pending ?? 0,
            outboxLimit: current.withLock { $0.monitoring.readyMaxOutbox },
            deadLetters: counts?.dead ?? 0,
            pendingTimers: parts.engine.pendingTimerCount,
            secondsSinceLastEvent: lastEvent.map { Date().timeIntervalSince($0) }
        )
    }

    /// How long `/ready` waits for the store's write lock: a probe must answer within
    /// an orchestrator's timeout even while another process holds the lock.
    static let storeCheckBudget: Duration = .seconds(2)

    /// Tries the store's write lock; `nil` when it was taken, else why not. Returns
    /// after `budget` at the latest, leaving a slow check to finish on its own.
    private static func writeLockProblem(_ store: SQLiteStore, within budget: Duration) async -> String? {
        let answered = Mutex(false)
        return await withCheckedContinuation { continuation in
            let answer: @Sendable (String?) -> Void = { problem in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: problem) }
            }
            let check = Task {
                do {
                    try await store.checkWritable()
                    answer(nil)
                } catch {
                    answer("\(error)")
                }
            }
            Task {
                try? await Task.sleep(for: budget)
                answer("the write lock was not free within \(budget)")
                _ = check
            }
        }
    }
}
