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

/// A store that reads one bot state value when asked, so the engine need not keep every
/// value in memory: it loads the keys and versions at start, keeps the values handlers
/// use (up to ``EngineConfiguration/stateBytesInMemory``) and reads the others back on
/// demand. A desk's state grows with every chat it has seen; its working set does not.
public protocol StateOnDemandStore: Store {
    /// What ``Store/load()`` returns, except that bot state values stay in the store:
    /// keys holding a value come in ``StoreSnapshot/botStateLeftInStore``; removed keys
    /// (no value) in ``StoreSnapshot/botState``, as `load()` gives them.
    func loadLeavingStateValues() async throws -> StoreSnapshot

    /// The stored value of one bot state key; `nil` if it has none.
    func storedState(bot: String, key: String) throws -> Data?
}
