import Foundation

/// Where the engine keeps what must survive a restart: the world model, the bots'
/// state, pending timers, and the outbox of actions to deliver.
///
/// The engine is the only writer. It reads everything once at start with
/// ``load()``, then hands over batches of commits, each applied in one transaction
/// by ``commit(_:)``: a batch is all or nothing. The SQLite store lives in
/// `ChatBotRuntime`; `ChatBotTesting` has one in memory.
public protocol Store: Sendable {
    /// Everything stored, to start from.
    func load() async throws -> StoreSnapshot

    /// Applies commits in order, in one transaction.
    func commit(_ commits: [Commit]) async throws

    /// Outbox entries not yet settled (delivered, dead or expired) with ids above `id`,
    /// in id order, at most `limit`.
    ///
    /// Ids are given in commit order, and a commit's entries become visible together:
    /// once an entry is seen, no entry with a lower id appears later. The delivery reads
    /// forward from the last id it saw and relies on that.
    func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry]

    /// One queue's unsettled entries with ids in `ids`, in id order, at most `limit`:
    /// a chat's actions (`alerts: false`) or the alerts about it (`alerts: true`).
    func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry]

    /// Records what became of one delivery attempt and, in the same transaction, adds
    /// `followUp` to the outbox (the alert that says an action was given up on), so a
    /// crash loses neither.
    func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws
}

extension Store {
    /// Records what became of one delivery attempt.
    public func settle(_ id: Int64, as outcome: DeliveryOutcome) async throws {
        try await settle(id, as: outcome, followUp: nil)
    }
}

/// A store that reads bot state one key at a time, so the engine need not keep it all
/// in memory: it loads none at start, reads a key when a handler asks for it, and keeps
/// what handlers use (up to ``EngineConfiguration/stateBytesInMemory``). A desk's state
/// grows with every chat it has seen; its working set does not.
///
/// The engine finds this by a dynamic cast: a store wrapping one of these must conform
/// itself to keep the benefit, or the engine loads all state at start.
public protocol StateOnDemandStore: Store {
    /// What ``Store/load()`` returns, without the bot state.
    func loadWithoutState() async throws -> StoreSnapshot

    /// One key's stored value and version; `nil` if the key was never written, a
    /// record with `nil` data if it was removed.
    ///
    /// Called from handlers' threads, synchronously and concurrently: it must be safe
    /// to call from any thread, and quick (a point query). It must see every commit
    /// ``Store/commit(_:)`` has returned from.
    func storedState(bot: String, key: String) throws -> StoredBotState?

    /// Every stored key of one bot, for inspection (``Engine/state(of:)``).
    func storedStates(bot: String) async throws -> [StoredBotState]

    /// Starts a new run's state versions: returns a number larger than any this store
    /// returned before, durably, from 1 (the engine accepts up to 2^22 − 1). The engine
    /// numbers its writes from it, so a version never repeats one an earlier run
    /// stored, without knowing what is stored.
    func beginStateEpoch() async throws -> Int64
}
