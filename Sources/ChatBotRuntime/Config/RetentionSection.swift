import ChatBotKit

/// `retention:` how long the store keeps what is done with, so that a desk run for
/// months keeps a store (and a `/metrics` scrape) of the same size.
///
/// ```yaml
/// retention:
///   closed_chats_in_memory: 7d   # a closed chat quiet this long leaves memory, with its bots' state and timers
///   closed_chats_in_store: 30d   # and its row leaves the store (counted from its last event too)
///   delivered_actions: 7d   # delivered and expired actions, counted from when they settled
///   dead_letters: 30d       # actions the backend refused for good
///   prune_every: 1m         # how often the store is pruned
///   prune_batch: 500        # rows deleted per transaction: the event path never waits long
/// ```
public struct RetentionSection: Decodable, Sendable, Equatable {
    public var closedChatsInMemory: ConfigDuration
    public var closedChatsInStore: ConfigDuration
    public var deliveredActions: ConfigDuration
    public var deadLetters: ConfigDuration
    public var pruneEvery: ConfigDuration
    public var pruneBatch: Int

    public init(
        closedChatsInMemory: ConfigDuration = ConfigDuration(seconds: 7 * 86_400),
        closedChatsInStore: ConfigDuration = ConfigDuration(seconds: 30 * 86_400),
        deliveredActions: ConfigDuration = ConfigDuration(seconds: 7 * 86_400), deadLetters: ConfigDuration = ConfigDuration(seconds: 30 * 86_400),
        pruneEvery: ConfigDuration = 60, pruneBatch: Int = 500
    ) {
        self.closedChatsInMemory = closedChatsInMemory
        self.closedChatsInStore = closedChatsInStore
        self.deliveredActions = deliveredActions
        self.deadLetters = deadLetters
        self.pruneEvery = pruneEvery
        self.pruneBatch = pruneBatch
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case closedChatsInMemory = "closed_chats_in_memory"
        case closedChatsInStore = "closed_chats_in_store"
        case deliveredActions = "delivered_actions"
        case deadLetters = "dead_letters"
        case pruneEvery = "prune_every"
        case pruneBatch = "prune_batch"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = RetentionSection()
        closedChatsInMemory = try container.decodeIfPresent(ConfigDuration.self, forKey: .closedChatsInMemory) ?? defaults.closedChatsInMemory
        closedChatsInStore =
            try container.decodeIfPresent(ConfigDuration.self, forKey: .closedChatsInStore) ?? max(defaults.closedChatsInStore, closedChatsInMemory)
        deliveredActions = try container.decodeIfPresent(ConfigDuration.self, forKey: .deliveredActions) ?? defaults.deliveredActions
        deadLetters = try container.decodeIfPresent(ConfigDuration.self, forKey: .deadLetters) ?? defaults.deadLetters
        pruneEvery = try container.decodeIfPresent(ConfigDuration.self, forKey: .pruneEvery) ?? defaults.pruneEvery
        pruneBatch = try container.decodeIfPresent(Int.self, forKey: .pruneBatch) ?? defaults.pruneBatch
        guard closedChatsInStore >= closedChatsInMemory else {
            throw DecodingError.dataCorruptedError(
                forKey: .closedChatsInStore, in: container,
                debugDescription: "must be at least closed_chats_in_memory (\(closedChatsInMemory)): a chat leaves memory before the store"
            )
        }
        guard pruneEvery.seconds >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .pruneEvery, in: container, debugDescription: "must be at least 1s")
        }
        guard (1...100_000).contains(pruneBatch) else {
            throw DecodingError.dataCorruptedError(
                forKey: .pruneBatch, in: container, debugDescription: "must be from 1 to 100000, not \(pruneBatch)")
        }
    }
}
