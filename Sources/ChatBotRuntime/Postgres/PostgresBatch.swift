import ChatBotKit
import Foundation

/// What a batch of commits leaves behind, as rows: each key written once, as the last
/// commit of the batch left it, so the batch is a dozen statements whatever its size
/// (a round trip each, and a real database is a network away).
///
/// Applying the rows in the order of ``PostgresStore/write(_:in:)`` gives what applying
/// the commits one by one would: a chat forgotten in the batch has its rows wiped first,
/// and only what later commits wrote of it is written after.
struct PostgresBatch {
    /// Chats forgotten at some point in the batch: their messages, read marks, chat
    /// state and timers are deleted before anything is written.
    var wiped: Set<String> = []
    /// Message rows by key: the row to write, or `nil` to delete it.
    var messages: [MessageKey: MessageRow?] = [:]
    var states: [StoredStateKey: StateRow?] = [:]
    var timers: [TimerKey: TimerRow?] = [:]
    /// New outbox rows, in commit order (their ids follow it).
    var actions: [ActionRow] = []
    /// The chats and users to write, and the chats to mark forgotten.
    var records = LastRecords([])

    /// An empty batch (to fill by hand).
    init() {}

    init(_ commits: [Commit]) throws {
        let encoder = JSONEncoder()
        for commit in commits {
            for chat in commit.chatsForgotten { wipe(chat.chatID) }
            for key in commit.messagesRemoved { messages[key] = .some(nil) }
            for stored in commit.messages {
                messages[MessageKey(chatID: stored.chatID, sequence: stored.message.sequence)] = MessageRow(stored)
            }
            for write in commit.stateWrites { states[write.key] = write.data.map { StateRow(key: write.key, value: $0) } }
            for key in commit.timersRemoved { timers[key] = .some(nil) }
            for timer in commit.timersScheduled { timers[TimerKey(bot: timer.bot, name: timer.request.name)] = TimerRow(timer) }
            for entry in commit.actions { actions.append(try ActionRow(entry, order: actions.count, encoder: encoder)) }
        }
        records = LastRecords(commits)
    }

    /// A chat forgotten: what earlier commits of the batch wrote of it goes too.
    private mutating func wipe(_ chat: ChatID) {
        wiped.insert(chat.rawValue)
        messages = messages.filter { $0.key.chatID != chat }
        states = states.filter { $0.key.chatID != chat }
        // A timer rescheduled onto this chat in the batch may still be stored under
        // another chat: delete it by its key, as SQLite's commit-by-commit forget does.
        for (key, row) in timers where row?.chatId == chat.rawValue { timers[key] = .some(nil) }
    }

    // MARK: Rows, as JSON for jsonb_to_recordset

    struct MessageRow: Encodable {
        var chatId: String
        var sequence: Int64
        var id: String
        var senderId: String
        var senderRole: String?
        var messageType: String
        var createdAt: Double?
        var receivedAt: Double

        init(_ stored: StoredMessage) {
            let message = stored.message
            chatId = stored.chatID.rawValue
            sequence = message.sequence
            id = message.id.rawValue
            senderId = message.senderID.rawValue
            senderRole = message.senderRole?.rawValue
            messageType = message.messageType.wireValue
            createdAt = message.createdAt?.timeIntervalSinceReferenceDate
            receivedAt = message.receivedAt.timeIntervalSinceReferenceDate
        }
    }

    struct StateRow: Encodable {
        var scope: String
        var owner: String
        var bot: String
        var name: String
        var value: Data?

        init(key: StoredStateKey, value: Data?) {
            (scope, owner) = BotStateRows.columns(of: key.scope)
            bot = key.bot
            name = key.name
            self.value = value
        }
    }

    struct TimerRow: Encodable {
        var bot: String
        var name: String
        var kind: String
        var fireAt: Double
        var chatId: String?
        var payload: Data

        init(_ timer: StoredTimer) {
            bot = timer.bot
            name = timer.request.name
            kind = timer.request.kind
            fireAt = timer.request.fireAt.timeIntervalSince1970
            chatId = timer.request.chatID?.rawValue
            payload = Data(timer.request.payload)
        }
    }

    struct ActionRow: Encodable {
        var ord: Int
        var idempotencyKey: String
        var bot: String
        var chatId: String?
        var kind: String
        var action: Data
        var createdAt: Double
        var attempts: Int
        var nextAttemptAt: Double
        var expiresAt: Double?

        init(_ entry: OutboxEntry, order: Int, encoder: JSONEncoder) throws {
            ord = order
            idempotencyKey = entry.idempotencyKey
            bot = entry.bot
            chatId = entry.action.chatID?.rawValue
            kind = entry.action.kind
            action = try encoder.encode(entry.action)
            createdAt = entry.createdAt.timeIntervalSince1970
            attempts = entry.attempts
            nextAttemptAt = entry.nextAttemptAt.timeIntervalSince1970
            expiresAt = entry.expiresAt?.timeIntervalSince1970
        }
    }

    struct ChatRow: Encodable {
        var id: String
        var clientId: String?
        var type: String?
        var topic: String?
        var status: String?
        var curatorId: String?
        var openedAt: Double?
        var messageCount: Int64
        var lastClientMessageAt: Double?
        var lastCuratorMessageAt: Double?
        var lastEventAt: Double?

        init(_ chat: ChatRecord) {
            id = chat.id.rawValue
            clientId = chat.clientID?.rawValue
            type = chat.type?.wireValue
            topic = chat.topic
            status = chat.status?.wireValue
            curatorId = chat.curatorID?.rawValue
            openedAt = chat.openedAt?.timeIntervalSinceReferenceDate
            messageCount = chat.messageCount
            lastClientMessageAt = chat.lastClientMessageAt?.timeIntervalSinceReferenceDate
            lastCuratorMessageAt = chat.lastCuratorMessageAt?.timeIntervalSinceReferenceDate
            lastEventAt = chat.lastEventAt?.timeIntervalSinceReferenceDate
        }
    }

    struct ReadMarkRow: Encodable {
        var chatId: String
        var readerId: String
        var sequence: Int64
    }

    struct UserRow: Encodable {
        var id: String
        var role: String?
        var presence: String?
        var presenceSince: Double?
        var lastAssignedAt: Double?
        var topics: String?

        init(_ user: UserRecord) throws {
            id = user.id.rawValue
            role = user.role?.rawValue
            presence = user.presence?.wireValue
            presenceSince = user.presenceSince?.timeIntervalSinceReferenceDate
            lastAssignedAt = user.lastAssignedAt?.timeIntervalSinceReferenceDate
            topics = try user.topics.map { String(decoding: try JSONEncoder().encode($0.sorted()), as: UTF8.self) }
        }
    }

    struct ForgottenRow: Encodable {
        var id: String
        var at: Double
    }

    struct KeyRow: Encodable {
        var chatId: String?
        var sequence: Int64?
        var scope: String?
        var owner: String?
        var bot: String?
        var name: String?
    }
}

/// Rows as one JSON array, the single parameter of a statement that reads it with
/// `jsonb_to_recordset`.
enum JSONRows {
    static func text(_ rows: [some Encodable]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }
}
