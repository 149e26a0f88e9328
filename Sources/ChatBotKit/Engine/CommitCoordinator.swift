import Foundation
import Synchronization

/// The one writer, in two steps.
///
/// 1. ``propose(_:)`` decides at once, under one lock: a proposal whose handlers' state
///    reads still hold is accepted — applied to the in-memory state and timers and given
///    its place in the commit order — and one whose reads were overtaken is refused
///    with the bots to run again. A handler learns of a conflict without waiting for a
///    disk write, and the next handler of a shared key reads the accepted value at once.
/// 2. ``run()`` writes accepted proposals to the store in order, in one transaction per
///    batch (group commit); ``waitUntilDurable(_:)`` returns once a proposal's batch is
///    written.
///
/// No action is handed to delivery before its batch is durable: the runtime's first
/// guarantee. A later proposal may have read an accepted, not yet durable value; if a
/// write fails, every proposal after it fails too and the engine stops, so nothing
/// decided on a lost write is ever delivered.
final class CommitCoordinator: Sendable {
    /// What one handled event or fired timer wants committed.
    struct Proposal: Sendable {
        var world: WorldModel.Change
        /// Each bot's effects from its last run, in bot order.
        var effects: [(bot: String, effects: BotEffects)]
        /// The timer this work fired, to be removed unless rescheduled since.
        var firedTimer: (key: TimerKey, generation: Int64)?
        var now: Date
    }

    /// What became of a proposal.
    enum Outcome: Sendable, Equatable {
        /// Accepted, at this place in the commit order: wait for it with
        /// ``waitUntilDurable(_:)``.
        case accepted(Int64)
        /// These bots read state that changed since, or whose version could not be read
        /// back from the store (`unverified` says why): run them again and propose anew.
        case conflict(bots: Set<String>, unverified: String?)
    }

    private struct Accepted {
        let sequence: Int64
        let commit: Commit
    }

    private struct State {
        var nextSequence: Int64 = 1
        /// Accepted and not yet written, in order.
        var queue: [Accepted] = []
        /// Every proposal up to this one is written.
        var durableThrough: Int64 = 0
        var waiters: [(sequence: Int64, continuation: CheckedContinuation<Void, any Error>)] = []
        var failure: (any Error)?
    }

    private let state = Mutex(State())
    private let signal: AsyncStream<Void>.Continuation
    private let signals: AsyncStream<Void>
    private let store: any Store
    private let world: SharedWorld
    private let cache: BotStateCache
    private let timers: TimerTable
    private let maxBatch: Int
    private let onActionsCommitted: @Sendable (Int) -> Void

    init(
        store: any Store, world: SharedWorld, cache: BotStateCache, timers: TimerTable, maxBatch: Int,
        onActionsCommitted: @escaping @Sendable (Int) -> Void
    ) {
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.store = store
        self.world = world
        self.cache = cache
        self.timers = timers
        self.maxBatch = max(1, maxBatch)
        self.onActionsCommitted = onActionsCommitted
    }

    /// Accepts a proposal whose state reads still hold, or refuses it for a conflict.
    /// Throws once the store has failed.
    func propose(_ proposal: Proposal) throws -> Outcome {
        // The versions of what the handlers read are taken before the lock, so that a
        // store read (a key let go of since) holds up no other proposal. Only an accepted
        // proposal changes a version, so they still hold under the lock if none was
        // accepted meanwhile; if one was, they are taken again there.
        let writesSeen = state.withLock { $0.nextSequence }
        let checked = currentVersions(readIn: proposal)
        let outcome = try state.withLock { state -> Outcome in
            if let failure = state.failure { throw failure }
            let versions = state.nextSequence == writesSeen ? checked : currentVersions(readIn: proposal)
            let (stale, unverified) = staleBots(in: proposal, versions: versions)
            guard stale.isEmpty else { return .conflict(bots: stale, unverified: unverified) }
            let sequence = state.nextSequence
            state.nextSequence += 1
            state.queue.append(Accepted(sequence: sequence, commit: accept(proposal, as: sequence)))
            return .accepted(sequence)
        }
        if case .accepted = outcome { signal.yield() }
        return outcome
    }

    /// Returns once the accepted proposal `sequence` is durable; throws if the store
    /// failed before it was.
    func waitUntilDurable(_ sequence: Int64) async throws {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Void, any Error>? = state.withLock { state in
                if state.durableThrough >= sequence { return .success(()) }
                if let failure = state.failure { return .failure(failure) }
                state.waiters.append((sequence, continuation))
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Writes accepted proposals in batches until cancelled; throws (and fails every
    /// waiter) if the store fails, since nothing after a lost write can be trusted.
    func run() async throws {
        for await _ in signals {
            while true {
                let batch = state.withLock { state -> [Accepted] in
                    let count = min(maxBatch, state.queue.count)
                    defer { state.queue.removeFirst(count) }
                    return Array(state.queue.prefix(count))
                }
                guard let last = batch.last else { break }
                do {
                    try await store.commit(batch.map(\.commit))
                } catch {
                    fail(with: error)
                    throw error
                }
                // Values now durable may leave memory: the store can give them back.
                // (Before the waiters wake, so an idle engine is a trimmed one.)
                cache.trim(durableThrough: last.sequence)
                markDurable(through: last.sequence)
                let actionCount = batch.reduce(0) { $0 + $1.commit.actions.count }
                if actionCount > 0 {
                    onActionsCommitted(actionCount)
                }
            }
        }
        // Cancelled: whoever still waits, or comes later, must not wait forever.
        fail(with: CancellationError())
    }

    private func markDurable(through sequence: Int64) {
        let ready = state.withLock { state in
            state.durableThrough = sequence
            let ready = state.waiters.filter { $0.sequence <= sequence }
            state.waiters.removeAll { $0.sequence <= sequence }
            return ready
        }
        for waiter in ready {
            waiter.continuation.resume()
        }
    }

    /// The current version of every key the proposal's handlers read.
    private func currentVersions(readIn proposal: Proposal) -> [BotStateCache.Key: Result<Int64, any Error>] {
        cache.versions(of: proposal.effects.lazy.flatMap { bot, effects in
            effects.stateReads.keys.lazy.map { BotStateCache.Key(bot: bot, key: $0) }
        })
    }

    /// The bots whose reads were overtaken. A version that cannot be read back from the
    /// store counts as changed, with the reason: the bot runs again rather than commit
    /// on a read nobody can vouch for.
    private func staleBots(
        in proposal: Proposal, versions: [BotStateCache.Key: Result<Int64, any Error>]
    ) -> (bots: Set<String>, unverified: String?) {
        var stale: Set<String> = []
        var unverified: String?
        for (bot, effects) in proposal.effects {
            for (name, version) in effects.stateReads {
                do {
                    if try versions[BotStateCache.Key(bot: bot, key: name)]?.get() != version { stale.insert(bot) }
                } catch {
                    stale.insert(bot)
                    unverified = "the version of \"\(name)\" of \(bot) could not be read from the store: \(error)"
                }
            }
        }
        return (stale, unverified)
    }

    /// Applies a proposal to the in-memory state and timers, and says what to store.
    private func accept(_ proposal: Proposal, as sequence: Int64) -> Commit {
        var commit = world.commit(for: proposal.world)
        if let fired = proposal.firedTimer, timers.generation(of: fired.key) == nil {
            // Fired and not rescheduled since: it is done.
            commit.timersRemoved.append(fired.key)
        }
        for (bot, effects) in proposal.effects {
            for (key, data) in effects.stateWrites {
                let version = cache.write(.init(bot: bot, key: key), data: data, in: sequence)
                commit.stateWrites.append(StoredBotState(bot: bot, key: key, data: data, version: version))
            }
            for (name, request) in effects.timers {
                let key = TimerKey(bot: bot, name: name)
                if let request {
                    timers.schedule(key, request)
                    commit.timersScheduled.append(StoredTimer(bot: bot, request: request))
                } else {
                    timers.cancel(key)
                    commit.timersRemoved.append(key)
                }
            }
            for planned in effects.actions {
                commit.actions.append(OutboxEntry(
                    idempotencyKey: "chatbots-\(UUID().uuidString.lowercased())", bot: bot, action: planned.action,
                    createdAt: proposal.now, nextAttemptAt: proposal.now,
                    expiresAt: planned.expiresAfter.map { proposal.now.addingTimeInterval($0.timeInterval) }
                ))
            }
        }
        return commit
    }

    private func fail(with error: any Error) {
        let waiters = state.withLock { state in
            if state.failure == nil { state.failure = error }
            state.queue = []
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: error)
        }
    }
}
