import DequeModule
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
            let (taken, through) = core.withLock { core -> ([EngineCore.PendingCommit], Int64) in
                // Commits are taken as they come, even while their input is not done (a
                // catch-up's recovered events, many timers due at once): the input counts
                // as durable only once its last unit's commits are written.
                guard !core.batch.isEmpty || core.batchThrough > core.durableThrough else { return ([], 0) }
                let count = min(limit, core.batch.count)
                let taken = Array(core.batch.prefix(count))
                core.batch.removeFirst(count)
                // Durable, once written, through the last input handled whose commits are
                // all taken: every input before the first commit left behind.
                let through = min(core.batchThrough, (core.batch.first?.input).map { $0 - 1 } ?? core.batchThrough)
                return (taken, through)
            }
            guard through > 0 || !taken.isEmpty else {
                await unitsHandled.wait(since: token)
                continue
            }
            let commits = encodeState(of: taken)
            if !commits.isEmpty {
                do {
                    try await store.commit(commits)
                } catch is CancellationError where Task.isCancelled {
                    // Stopped while writing (the runtime shutting down): not a store
                    // failure to report, but whoever waits for durability is told.
                    fail(with: CancellationError())
                    return
                } catch {
                    logger.critical("a commit failed; the engine stops", metadata: ["error": "\(error)"])
                    fail(with: error)
                    throw error
                }
            }
            // Durable now: the outside calls they asked for may go. Counted in flight in
            // the same step that makes their inputs durable, so nobody waiting for the
            // answers sees the inputs durable with their calls not yet out.
            let asked = replaying ? [] : taken.flatMap(\.calls)
            let durableEvents = core.withLock { core -> [EventType] in
                core.callsInFlight += asked.count
                core.durableThrough = max(core.durableThrough, through)
                var types: [EventType] = []
                while let first = core.undurableEvents.first, first.input <= through {
                    types.append(core.undurableEvents.removeFirst().type)
                }
                return types
            }
            // `chatbots_events_handled_total` counts an event once its commit is durable.
            for type in durableEvents { metrics.handled(type) }
            durable.notify()
            inputsChanged.notify()
            let actions = commits.reduce(0) { $0 + $1.actions.count }
            if actions > 0 { onActionsCommitted(actions) }
            for call in asked { calls.yield(call) }
        }
    }

    /// The batch's commits, with its state writes encoded as JSON, here rather than in
    /// the sequence: each key once, as the batch's last write left it (one transaction,
    /// so nothing in between is ever seen). A value JSON cannot hold is not stored and
    /// is logged; the sequence goes on with it in memory.
    private func encodeState(of batch: [EngineCore.PendingCommit]) -> [Commit] {
        var commits = batch.map(\.commit)
        guard !commits.isEmpty else { return [] }
        var latest: [StoredStateKey: (any Codable & Sendable)?] = [:]
        var order: [StoredStateKey] = []
        for pending in batch {
            for (key, value) in pending.stateWrites {
                if latest.updateValue(value, forKey: key) == nil { order.append(key) }
            }
        }
        let encoder = JSONEncoder()
        var sizes: [(StoredStateKey, Int)] = []
        for key in order {
            guard let value = latest[key] ?? nil else {
                commits[commits.count - 1].stateWrites.append(StoredBotState(key: key, data: nil))
                continue
            }
            do {
                let data = try encoder.encode(value)
                commits[commits.count - 1].stateWrites.append(StoredBotState(key: key, data: data))
                sizes.append((key, data.count))
            } catch {
                logger.error(
                    "a state value could not be encoded as JSON and is not stored",
                    metadata: [
                        "bot.name": "\(key.bot)", "state.key": "\(key)", "error": "\(error)",
                    ])
            }
        }
        // Applied by the sequence between units: changing the table here, while a
        // handler holds a copy of it, would copy the whole table.
        core.withLock { $0.encodedSizes.append(contentsOf: sizes) }
        return commits
    }

    /// Makes each outside call as it comes, in a task of its own, bounded by its
    /// timeout, and hands its answer to the sequence.
    func makeCalls(_ requests: AsyncStream<(bot: String, name: String, record: CallRecord)>) async {
        await withDiscardingTaskGroup { group in
            for await call in requests {
                group.addTask {
                    let outcome = await self.outcome(of: call.record.request)
                    self.enqueue(.answer(bot: call.bot, call: call.name, chat: call.record.chatID, outcome: outcome, at: self.clock.now()))
                    self.core.withLock { $0.callsInFlight -= 1 }
                    self.durable.notify()
                }
            }
        }
    }

    private func outcome(of request: OutsideRequest) async -> OutsideAnswer.Outcome {
        guard let outsideCaller else { return .failed(reason: "no outside caller is configured") }
        return await withTaskGroup(of: OutsideAnswer.Outcome?.self) { group in
            group.addTask {
                do {
                    let (status, body) = try await outsideCaller.call(request)
                    return .answered(status: status, body: body)
                } catch {
                    return Task.isCancelled ? nil : .failed(reason: "\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: request.timeout)
                return Task.isCancelled ? nil : .failed(reason: "no answer within \(request.timeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failed(reason: "stopped before the answer came")
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
