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

    /// Outbox entries not yet delivered whose next attempt is due, oldest first.
    func dueActions(at date: Date, limit: Int) async throws -> [OutboxEntry]

    /// Records what became of one delivery attempt.
    func settle(_ id: Int64, as outcome: DeliveryOutcome) async throws
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
