import Foundation
import Synchronization

/// The one writer: takes the proposals of handled events, checks that each handler's
/// state reads still hold, applies the survivors to the in-memory state and timers, and
/// writes them to the store in one transaction per batch (group commit).
///
/// A proposal waits until its batch is durable. No action is handed to delivery before
/// that, which is the runtime's first guarantee.
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
        case committed
        /// These bots read state that changed since: run them again and propose anew.
        case conflict(bots: Set<String>)
    }

    private struct Waiting {
        let proposal: Proposal
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
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

    /// Proposes a commit and waits until it is durable, or refused for a conflict.
    func submit(_ proposal: Proposal) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let failure = state.withLock { state -> (any Error)? in
                if let failure = state.failure { return failure }
                state.queue.append(Waiting(proposal: proposal, continuation: continuation))
                return nil
            }
            if let failure {
                continuation.resume(throwing: failure)
            } else {
                signal.yield()
            }
        }
    }

    /// Commits batches until cancelled; throws (and fails every waiting proposal) if the
    /// store fails, since nothing after a lost write can be trusted.
    func run() async throws {
        for await _ in signals {
            while true {
                let batch = state.withLock { state -> [Waiting] in
                    let count = min(maxBatch, state.queue.count)
                    defer { state.queue.removeFirst(count) }
                    return Array(state.queue.prefix(count))
                }
                guard !batch.isEmpty else { break }
                do {
                    try await commit(batch)
                } catch {
                    fail(with: error, pending: batch)
                    throw error
                }
            }
        }
        // Cancelled: whoever still waits, or comes later, must not wait forever.
        fail(with: CancellationError(), pending: [])
    }

    private func commit(_ batch: [Waiting]) async throws {
        var commits: [Commit] = []
        var outcomes: [Outcome] = []
        var actionCount = 0
        for waiting in batch {
            let proposal = waiting.proposal
            let stale = staleBots(in: proposal)
            guard stale.isEmpty else {
                outcomes.append(.conflict(bots: stale))
                continue
            }
            let commit = accept(proposal)
            actionCount += commit.actions.count
            commits.append(commit)
            outcomes.append(.committed)
        }
        if !commits.isEmpty {
            try await store.commit(commits)
        }
        for (waiting, outcome) in zip(batch, outcomes) {
            waiting.continuation.resume(returning: outcome)
        }
        if actionCount > 0 {
            onActionsCommitted(actionCount)
        }
    }

    private func staleBots(in proposal: Proposal) -> Set<String> {
        var stale: Set<String> = []
        for (bot, effects) in proposal.effects {
            for (key, version) in effects.stateReads where cache.version(of: .init(bot: bot, key: key)) != version {
                stale.insert(bot)
            }
        }
        return stale
    }

    /// Applies a proposal to the in-memory state and timers, and says what to store.
    private func accept(_ proposal: Proposal) -> Commit {
        var commit = Commit()
        (commit.chats, commit.users) = world.records(for: proposal.world)
        if let fired = proposal.firedTimer, timers.generation(of: fired.key) == nil {
            // Fired and not rescheduled since: it is done.
            commit.timersRemoved.append(fired.key)
        }
        for (bot, effects) in proposal.effects {
            for (key, data) in effects.stateWrites {
                let version = cache.write(.init(bot: bot, key: key), data: data)
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
            for action in effects.actions {
                commit.actions.append(OutboxEntry(
                    idempotencyKey: "chatbots-\(UUID().uuidString.lowercased())", bot: bot, action: action,
                    createdAt: proposal.now, nextAttemptAt: proposal.now
                ))
            }
        }
        return commit
    }

    private func fail(with error: any Error, pending batch: [Waiting]) {
        let queued = state.withLock { state -> [Waiting] in
            state.failure = error
            defer { state.queue = [] }
            return state.queue
        }
        for waiting in batch + queued {
            waiting.continuation.resume(throwing: error)
        }
    }
}
