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

/// A store that reads a chat's bot state when the chat is active, so the engine need not
/// hold every chat's state in memory: a desk's state grows with every chat it has seen;
/// its working set does not. The engine loads the bot- and user-scoped keys at start,
/// reads a chat's keys before that chat's event enters its sequence, and lets the keys
/// of chats gone quiet leave memory (past ``EngineConfiguration/stateBytesInMemory``).
///
/// The engine finds this by a dynamic cast: a store wrapping one of these must conform
/// itself to keep the benefit, or the engine loads all state at start.
public protocol StateOnDemandStore: Store {
    /// What ``Store/load()`` returns, without the chat-scoped bot state.
    func loadWithoutChatState() async throws -> StoreSnapshot

    /// Every stored key of one chat, of every bot. It must see every commit
    /// ``Store/commit(_:)`` has returned from.
    func chatState(of chat: ChatID) async throws -> [StoredBotState]

    /// The same, synchronously: for a handler that reads another chat's keys while that
    /// chat is not in memory (rare: a chat gone quiet). Called from the engine's
    /// sequence; it must be a quick point query.
    func chatStateNow(of chat: ChatID) throws -> [StoredBotState]

    /// Every stored key of one bot, for inspection (``Engine/state(of:)``).
    func storedStates(bot: String) async throws -> [StoredBotState]
}
