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
@Configurable
public struct RetentionSection: Sendable, Equatable, ValidatedConfiguration {
    public var closedChatsInMemory: ConfigDuration = .hours(7 * 24)
    /// Thirty days, or as long as chats stay in memory if that is longer.
    @DefaultFrom("max(.hours(30 * 24), closedChatsInMemory)")
    public var closedChatsInStore: ConfigDuration
    public var deliveredActions: ConfigDuration = .hours(7 * 24)
    public var deadLetters: ConfigDuration = .hours(30 * 24)
    public var pruneEvery: ConfigDuration = .minutes(1)
    public var pruneBatch: Int = 500

    public func validate() throws {
        guard closedChatsInStore >= closedChatsInMemory else {
            throw ConfigurationInvalid(
                "closed_chats_in_store", "must be at least closed_chats_in_memory (\(closedChatsInMemory)): a chat leaves memory before the store")
        }
        guard pruneEvery.seconds >= 1 else { throw ConfigurationInvalid("prune_every", "must be at least 1s") }
        guard (1...100_000).contains(pruneBatch) else { throw ConfigurationInvalid("prune_batch", "must be from 1 to 100000, not \(pruneBatch)") }
    }
}
