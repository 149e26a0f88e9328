import Foundation
import Synchronization

extension Engine {
    /// Writes handled units' commits behind the sequence, in order, in one transaction
    /// per batch of up to ``EngineConfiguration/maxCommitBatch`` (group commit: while one
    /// batch is written, the next gathers). Throws, and stops the engine, if a write
    /// fails: nothing decided after a lost write may be delivered.
    func commitBatches() async throws {
        let limit = max(1, configuration.maxCommitBatch)
        while !Task.isCancelled {
            let token = unitsHandled.token
            let (commits, through) = core.withLock { core -> ([Commit], Int64) in
                guard core.batchThrough > core.durableThrough else { return ([], 0) }
                let count = min(limit, core.batch.count)
                let taken = core.batch.prefix(count)
                core.batch.removeFirst(count)
                // All taken: durable through the last input handled; some left: through
                // the last input taken (inputs are handled whole, in order).
                let through = core.batch.isEmpty ? core.batchThrough : (taken.last?.input ?? core.durableThrough)
                return (taken.map(\.commit), through)
            }
            guard through > 0 else {
                await unitsHandled.wait(since: token)
                continue
            }
            if !commits.isEmpty {
                do {
                    try await store.commit(commits)
                } catch {
                    logger.critical("a commit failed; the engine stops", metadata: ["error": "\(error)"])
                    fail(with: error)
                    throw error
                }
            }
            core.withLock { $0.durableThrough = max($0.durableThrough, through) }
            durable.notify()
            inputsChanged.notify()
            let actions = commits.reduce(0) { $0 + $1.actions.count }
            if actions > 0 { onActionsCommitted(actions) }
        }
    }

    /// Hands the sequence a tick when a timer comes due, and waits for it to be handled
    /// before looking again.
    func fireTimersWhenDue() async {
        while !Task.isCancelled {
            let token = timers.changes.token
            let next = timers.nextDue()
            if let next, next <= clock.now() {
                guard let number = enqueue(.tick(clock.now())) else { return }
                await waitUntil(unitsHandled) { $0.handledThrough >= number || $0.sequenceEnded }
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                if let next {
                    group.addTask { try? await self.clock.sleep(until: next) }
                }
                group.addTask { await self.timers.changes.wait(since: token) }
                await group.next()
                group.cancelAll()
            }
        }
    }
}
