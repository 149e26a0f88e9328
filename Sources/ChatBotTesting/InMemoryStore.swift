import ChatBotKit
import Foundation
import Synchronization

/// A ``Store`` in memory: for tests and for trying bots without a database.
///
/// It behaves as the SQLite store does (commits in order, outbox ids, dead letters),
/// and can be read back to check what was committed.
public final class InMemoryStore: StateOnDemandStore {
    /// A dead letter: an action the backend refused for good, with the reason.
    public struct DeadLetter: Hashable, Sendable {
        public var entry: OutboxEntry
        public var reason: String
        /// Whether it went stale unsent rather than being refused.
        public var expired = false
    }

    private struct Contents {
        var chats: [ChatID: ChatRecord] = [:]
        var users: [UserID: UserRecord] = [:]
        var botState: [StoredStateKey: StoredBotState] = [:]
        var timers: [TimerKey: StoredTimer] = [:]
        var outbox: [Int64: OutboxEntry] = [:]
        var delivered: [OutboxEntry] = []
        var deadLetters: [DeadLetter] = []
        var nextOutboxID: Int64 = 1
        var commitCount = 0
    }

    private let contents = Mutex(Contents())

    public init() {}

    public func load() async throws -> StoreSnapshot {
        contents.withLock { contents in
            StoreSnapshot(
                chats: Array(contents.chats.values), users: Array(contents.users.values),
                botState: Array(contents.botState.values), timers: Array(contents.timers.values)
            )
        }
    }

    /// As the SQLite store does it: the engine reads a chat's keys when the chat is active.
    public func loadWithoutChatState() async throws -> StoreSnapshot {
        var snapshot = try await load()
        snapshot.botState.removeAll { $0.key.chatID != nil }
        return snapshot
    }

    public func chatState(of chat: ChatID) async throws -> [StoredBotState] {
        try chatStateNow(of: chat)
    }

    public func chatStateNow(of chat: ChatID) throws -> [StoredBotState] {
        contents.withLock { $0.botState.values.filter { $0.key.chatID == chat } }
    }

    public func storedStates(bot: String) async throws -> [StoredBotState] {
        contents.withLock { $0.botState.values.filter { $0.key.bot == bot } }
    }

    public func commit(_ commits: [Commit]) async throws {
        contents.withLock { contents in
            for commit in commits {
                for chat in commit.chats { contents.chats[chat.id] = chat }
                for user in commit.users { contents.users[user.id] = user }
                for write in commit.stateWrites {
                    contents.botState[write.key] = write.data == nil ? nil : write
                }
                for key in commit.timersRemoved { contents.timers.removeValue(forKey: key) }
                for timer in commit.timersScheduled {
                    contents.timers[TimerKey(bot: timer.bot, name: timer.request.name)] = timer
                }
                for forgotten in commit.chatsForgotten {
                    let chat = forgotten.chatID
                    contents.chats[chat] = nil
                    contents.botState = contents.botState.filter { $0.key.chatID != chat }
                    contents.timers = contents.timers.filter { $0.value.request.chatID != chat }
                }
                for var entry in commit.actions {
                    entry.id = contents.nextOutboxID
                    contents.outbox[contents.nextOutboxID] = entry
                    contents.nextOutboxID += 1
                }
                contents.commitCount += 1
            }
        }
    }

    public func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] {
        contents.withLock { contents in
            Array(contents.outbox.values.filter { ($0.id ?? 0) > id }.sorted { ($0.id ?? 0) < ($1.id ?? 0) }.prefix(limit))
        }
    }

    public func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        contents.withLock { contents in
            let queue = contents.outbox.values.filter { entry in
                guard let id = entry.id, ids.contains(id), entry.action.chatID == chat else { return false }
                return (entry.action.kind == "alert") == alerts
            }
            return Array(queue.sorted { ($0.id ?? 0) < ($1.id ?? 0) }.prefix(limit))
        }
    }

    public func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        contents.withLock { contents in
            guard var entry = contents.outbox[id] else { return }
            switch outcome {
            case .delivered:
                entry.attempts += 1
                contents.outbox.removeValue(forKey: id)
                contents.delivered.append(entry)
            case .retry(let date, _):
                entry.attempts += 1
                entry.nextAttemptAt = date
                contents.outbox[id] = entry
            case .deadLetter(let reason):
                entry.attempts += 1
                contents.outbox.removeValue(forKey: id)
                contents.deadLetters.append(DeadLetter(entry: entry, reason: reason))
            case .expired(let reason):
                contents.outbox.removeValue(forKey: id)
                contents.deadLetters.append(DeadLetter(entry: entry, reason: reason, expired: true))
            }
            if var followUp {
                followUp.id = contents.nextOutboxID
                contents.outbox[contents.nextOutboxID] = followUp
                contents.nextOutboxID += 1
            }
        }
    }

    /// Actions committed and not yet delivered or dead-lettered, oldest first.
    public var outbox: [OutboxEntry] {
        contents.withLock { $0.outbox.values.sorted { ($0.id ?? 0) < ($1.id ?? 0) } }
    }

    /// Every action committed so far, delivered or not, in commit order.
    public var committedActions: [OutboxEntry] {
        contents.withLock { contents in
            (contents.delivered + contents.outbox.values + contents.deadLetters.map(\.entry)).sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        }
    }

    public var deadLetters: [DeadLetter] {
        contents.withLock { $0.deadLetters }
    }

    /// Pending timers as stored.
    public var timers: [TimerKey: StoredTimer] {
        contents.withLock { $0.timers }
    }

    /// How many commits were applied (one per handled event or fired timer).
    public var commitCount: Int {
        contents.withLock { $0.commitCount }
    }

    /// A stored state value, as JSON.
    public func state(_ key: StoredStateKey) -> Data? {
        contents.withLock { $0.botState[key]?.data }
    }

    /// A bot's stored value for a typed key, decoded; `nil` if there is none.
    public func state<Value>(_ key: StateKey<Value>, bot: String) throws -> Value? {
        guard let data = contents.withLock({ $0.botState[StoredStateKey(bot: bot, scope: key.scope, name: key.name)]?.data }) else {
            return nil
        }
        return try JSONDecoder().decode(Value.self, from: data)
    }
}
