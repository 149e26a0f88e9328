import ChatBotKit

/// `retention:` how long the store keeps what is done with, so that a desk run for
/// months keeps a store (and a `/metrics` scrape) of the same size.
///
/// ```yaml
/// retention:
///   delivered_actions: 7d   # delivered and expired actions, counted from when they settled
///   dead_letters: 30d       # actions the backend refused for good
///   prune_every: 1m         # how often the store is pruned
///   prune_batch: 500        # rows deleted per transaction: the event path never waits long
/// ```
public struct RetentionSection: Decodable, Sendable, Equatable {
    public var deliveredActions: ConfigDuration
    public var deadLetters: ConfigDuration
    public var pruneEvery: ConfigDuration
    public var pruneBatch: Int

    public init(
        deliveredActions: ConfigDuration = ConfigDuration(seconds: 7 * 86_400), deadLetters: ConfigDuration = ConfigDuration(seconds: 30 * 86_400),
        pruneEvery: ConfigDuration = 60, pruneBatch: Int = 500
    ) {
        self.deliveredActions = deliveredActions
        self.deadLetters = deadLetters
        self.pruneEvery = pruneEvery
        self.pruneBatch = pruneBatch
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case deliveredActions = "delivered_actions"
        case deadLetters = "dead_letters"
        case pruneEvery = "prune_every"
        case pruneBatch = "prune_batch"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = RetentionSection()
        deliveredActions = try container.decodeIfPresent(ConfigDuration.self, forKey: .deliveredActions) ?? defaults.deliveredActions
        deadLetters = try container.decodeIfPresent(ConfigDuration.self, forKey: .deadLetters) ?? defaults.deadLetters
        pruneEvery = try container.decodeIfPresent(ConfigDuration.self, forKey: .pruneEvery) ?? defaults.pruneEvery
        pruneBatch = try container.decodeIfPresent(Int.self, forKey: .pruneBatch) ?? defaults.pruneBatch
        guard pruneEvery.seconds >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .pruneEvery, in: container, debugDescription: "must be at least 1s")
        }
        guard (1...100_000).contains(pruneBatch) else {
            throw DecodingError.dataCorruptedError(forKey: .pruneBatch, in: container, debugDescription: "must be from 1 to 100000, not \(pruneBatch)")
        }
    }
}
