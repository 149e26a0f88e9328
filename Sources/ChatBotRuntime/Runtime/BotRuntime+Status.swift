import ChatBotKit
import Foundation
import Synchronization

extension BotRuntime {
    /// The runtime's status now: what `/ready` answers. `nil` before it started (a
    /// standby has started: it reports its role and the store).
    public func status() async -> RuntimeStatus? {
        let turns = leadership.withLock { $0 }
        guard parts != nil || turns != nil else { return nil }
        return await currentStatus()
    }

    /// The status of the running parts, or of a standby, with its side of the lease.
    func currentStatus() async -> RuntimeStatus {
        let turns = leadership.withLock { $0 }
        var current: RuntimeStatus
        if let parts {
            current = await status(of: parts)
        } else {
            current = RuntimeStatus(
                connected: false, storeWritable: turns?.snapshot.problem == nil, storeProblem: turns?.snapshot.problem,
                outboxPending: 0, outboxLimit: reloadable.withLock { $0.readyMaxOutbox }, deadLetters: 0, pendingTimers: 0,
                secondsSinceLastEvent: nil
            )
        }
        if let snapshot = turns?.snapshot {
            current.lease = .init(
                role: "\(snapshot.role)", term: snapshot.term, takeovers: snapshot.takeovers,
                ageSeconds: snapshot.lastContact.map { (ContinuousClock.now - $0).timeInterval }, problem: snapshot.problem
            )
        }
        return current
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

    /// How long a status (for `/ready` and `/metrics`) waits on the store, at most: the
    /// write probe's budget.
    static let statusBudget: Duration = .seconds(2)

    func status(of parts: Parts) async -> RuntimeStatus {
        let connected = if case .connected = parts.gateway.connectionState { true } else { false }
        // Both bounded, single-flight and side by side: /ready and /metrics answer within
        // the budget whatever the store does, and however often they are asked, at most
        // one of each check waits on the store. (A count waiting on a lock once held the
        // answer past a client's 30 s timeout.)
        async let probed = parts.storeProbe.problem()
        async let counted = parts.outboxCount.answer()
        let (writeProblem, countAnswer) = await (probed, counted)
        let (counts, countProblem): (OutboxCounts?, String?) =
            switch countAnswer {
            case .success(let counts): (counts, nil)
            case .failure(let problem): (nil, problem.description)
            }
        let storeProblem = writeProblem ?? countProblem
        let lastEvent = parts.gateway.statistics.lastEventAt
        let catchUp = parts.engine.lastCatchUp
        return RuntimeStatus(
            connected: connected,
            storeWritable: storeProblem == nil,
            storeProblem: storeProblem,
            outboxPending: counts?.pending ?? 0,
            outboxLimit: reloadable.withLock { $0.readyMaxOutbox },
            deadLetters: counts?.dead ?? 0,
            pendingTimers: parts.engine.pendingTimerCount,
            secondsSinceLastEvent: lastEvent.map { clock.now().timeIntervalSince($0) },
            lastEventAt: lastEvent,
            oldestPendingAgeSeconds: counts?.oldestPendingCreatedAt.map { max(0, clock.now().timeIntervalSince($0)) },
            outboxWaiting: parts.delivery.waitingActions(),
            lastCatchUp: catchUp.map(\.description), lastCatchUpAt: catchUp?.at
        )
    }
}
