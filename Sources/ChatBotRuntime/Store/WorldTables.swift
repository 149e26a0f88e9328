import ChatBotKit
import Foundation
import GRDB

/// The world model's tables: a row per chat and per user, in columns, a row per kept
/// message and a row per read mark.
///
/// An event writes its chat's row and at most a message row or two, never the chat's
/// whole history (a JSON record per chat used to re-encode up to 100 messages on every
/// event). Times are seconds since Foundation's reference date, so they read back to
/// the same `Date` exactly. A curator's open chats are not stored: the world model
/// derives them from the chats when it starts. The tables themselves are made by the
/// store's migrations (`v2`).
enum WorldTables {
    // MARK: Writing

    /// Writes a chat's row and its read marks (a mark only ever moves forward, so
    /// writing each of the chat's few marks again keeps them exact).
    static func write(_ chat: ChatRecord, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO chat (id, client_id, type, topic, status, curator_id, opened_at, message_count,
                    last_client_message_at, last_curator_message_at, last_event_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            chat.id.rawValue, chat.clientID?.rawValue, chat.type?.wireValue, chat.topic, chat.status?.wireValue,
            chat.curatorID?.rawValue, seconds(chat.openedAt), chat.messageCount,
            seconds(chat.lastClientMessageAt), seconds(chat.lastCuratorMessageAt), seconds(chat.lastEventAt),
        ])
        let mark = try db.cachedStatement(sql: "INSERT OR REPLACE INTO read_mark (chat_id, reader_id, sequence) VALUES (?, ?, ?)")
        for (reader, sequence) in chat.readUpTo {
            try mark.execute(arguments: [chat.id.rawValue, reader.rawValue, sequence])
        }
    }

    static func write(_ stored: StoredMessage, in db: Database) throws {
        let message = stored.message
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO message (chat_id, sequence, id, sender_id, sender_role, message_type, created_at, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            stored.chatID.rawValue, message.sequence, message.id.rawValue, message.senderID.rawValue,
            message.senderRole?.rawValue, message.messageType.wireValue, seconds(message.createdAt),
            seconds(message.receivedAt),
        ])
    }

    /// Forgets a chat (retention): its messages, read marks, chat-scoped bot state and
    /// timers go. (Its row stays, marked forgotten by the commit, and is not loaded.)
    static func forget(_ chat: ChatID, in db: Database) throws {
        let id = chat.rawValue
        for sql in [
            "DELETE FROM message WHERE chat_id = ?", "DELETE FROM read_mark WHERE chat_id = ?",
            "DELETE FROM bot_state WHERE scope = 'chat' AND owner = ?", "DELETE FROM timer WHERE chat_id = ?",
        ] {
            try db.cachedStatement(sql: sql).execute(arguments: [id])
        }
    }

    static func remove(_ key: MessageKey, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM message WHERE chat_id = ? AND sequence = ?")
            .execute(arguments: [key.chatID.rawValue, key.sequence])
    }

    static func write(_ user: UserRecord, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO user (id, role, presence, presence_since, last_assigned_at, topics) VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            user.id.rawValue, user.role?.rawValue, user.presence?.wireValue, seconds(user.presenceSince),
            seconds(user.lastAssignedAt), try user.topics.map { try json($0.sorted()) },
        ])
    }

    // MARK: Reading

    private static let chatColumns = """
        id, client_id, type, topic, status, curator_id, opened_at, message_count, last_client_message_at, last_curator_message_at,
        last_event_at
        """
    private static let messageColumns = "chat_id, sequence, id, sender_id, sender_role, message_type, created_at, received_at"

    /// Every chat with its kept messages, but those retention forgot.
    static func chats(in db: Database) throws -> [ChatRecord] {
        var chats: [ChatRecord] = []
        var index: [String: Int] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT \(chatColumns) FROM chat WHERE forgotten_at IS NULL")
        while let row = try rows.next() {
            let chat = chat(from: row)
            index[chat.id.rawValue] = chats.count
            chats.append(chat)
        }
        let messages = try Row.fetchCursor(db, sql: "SELECT \(messageColumns) FROM message ORDER BY chat_id, sequence")
        while let row = try messages.next() {
            guard let position = index[row[0]] else { continue }
            chats[position].messages.append(message(from: row))
        }
        let marks = try Row.fetchCursor(db, sql: "SELECT chat_id, reader_id, sequence FROM read_mark")
        while let row = try marks.next() {
            guard let position = index[row[0]] else { continue }
            chats[position].readUpTo[UserID(row[1] as String)] = row[2]
        }
        return chats
    }

    /// One chat with its kept messages; `nil` if the store never saw it.
    static func chat(_ id: ChatID, in db: Database) throws -> ChatRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(chatColumns) FROM chat WHERE id = ?", arguments: [id.rawValue]) else {
            return nil
        }
        var chat = chat(from: row)
        chat.messages = try Row.fetchAll(
            db, sql: "SELECT \(messageColumns) FROM message WHERE chat_id = ? ORDER BY sequence", arguments: [id.rawValue]
        ).map(message(from:))
        for row in try Row.fetchAll(db, sql: "SELECT reader_id, sequence FROM read_mark WHERE chat_id = ?", arguments: [id.rawValue]) {
            chat.readUpTo[UserID(row[0] as String)] = row[1]
        }
        return chat
    }

    static func users(in db: Database) throws -> [UserRecord] {
        var users: [UserRecord] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT id, role, presence, presence_since, last_assigned_at, topics FROM user")
        while let row = try rows.next() {
            var user = UserRecord(id: UserID(row[0] as String), role: (row[1] as String?).flatMap(UserRole.init(rawValue:)))
            user.presence = (row[2] as String?).map(PresenceStatus.init(wireValue:))
            user.presenceSince = date(row[3])
            user.lastAssignedAt = date(row[4])
            user.topics = try (row[5] as String?).map { Set(try decoded([String].self, from: $0)) }
            users.append(user)
        }
        return users
    }

    private static func chat(from row: Row) -> ChatRecord {
        var chat = ChatRecord(id: ChatID(row[0] as String))
        chat.clientID = (row[1] as String?).map { UserID($0) }
        chat.type = (row[2] as String?).map(ChatType.init(wireValue:))
        chat.topic = row[3]
        chat.status = (row[4] as String?).map(ChatStatus.init(wireValue:))
        chat.curatorID = (row[5] as String?).map { UserID($0) }
        chat.openedAt = date(row[6])
        chat.messageCount = row[7]
        chat.lastClientMessageAt = date(row[8])
        chat.lastCuratorMessageAt = date(row[9])
        chat.lastEventAt = date(row[10])
        return chat
    }

    private static func message(from row: Row) -> MessageRecord {
        MessageRecord(
            id: MessageID(row[2] as String), senderID: UserID(row[3] as String),
            senderRole: (row[4] as String?).flatMap(UserRole.init(rawValue:)),
            messageType: MessageType(wireValue: row[5]), sequence: row[1], createdAt: date(row[6]),
            receivedAt: date(row[7]) ?? Date(timeIntervalSinceReferenceDate: 0)
        )
    }

    // MARK: Values

    private static func seconds(_ date: Date?) -> Double? {
        date?.timeIntervalSinceReferenceDate
    }

    private static func date(_ seconds: Double?) -> Date? {
        seconds.map(Date.init(timeIntervalSinceReferenceDate:))
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func decoded<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
