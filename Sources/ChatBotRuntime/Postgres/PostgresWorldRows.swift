import ChatBotKit
import Foundation
import Logging
import PostgresNIO

/// Reading the world's tables, and writing a ``PostgresBatch``: the PostgreSQL side of
/// what `WorldTables` and `BotStateRows` do for SQLite. Times are seconds since
/// Foundation's reference date for the world, since 1970 for timers and the outbox,
/// as in SQLite.
enum PostgresWorldRows {
    // MARK: Reading

    static let chatColumns = """
        id, client_id, type, topic, status, curator_id, opened_at, message_count, last_client_message_at, last_curator_message_at,
        last_event_at
        """
    static let messageColumns = "chat_id, sequence, id, sender_id, sender_role, message_type, created_at, received_at"

    /// Every chat with its kept messages and read marks, but those retention forgot
    /// (`only`: one chat, forgotten or not).
    static func chats(on connection: PostgresConnection, schema: String, only: ChatID? = nil, logger: Logger) async throws -> [ChatRecord] {
        var chats: [ChatRecord] = []
        var index: [String: Int] = [:]
        let filter = only == nil ? "forgotten_at IS NULL" : "id = $1"
        let chatFilter = only == nil ? "" : " WHERE chat_id = $1"
        let binds = only.map { [$0.rawValue] } ?? []
        let rows = try await connection.statement(
            PostgresStore.query("SELECT \(chatColumns) FROM \(schema).chat WHERE \(filter)", binds), logger: logger)
        for try await row in rows.decode((String, String?, String?, String?, String?, String?, Double?, Int64, Double?, Double?, Double?).self) {
            var chat = ChatRecord(id: ChatID(row.0))
            chat.clientID = row.1.map { UserID($0) }
            chat.type = row.2.map(ChatType.init(wireValue:))
            chat.topic = row.3
            chat.status = row.4.map(ChatStatus.init(wireValue:))
            chat.curatorID = row.5.map { UserID($0) }
            chat.openedAt = date(row.6)
            chat.messageCount = row.7
            chat.lastClientMessageAt = date(row.8)
            chat.lastCuratorMessageAt = date(row.9)
            chat.lastEventAt = date(row.10)
            index[chat.id.rawValue] = chats.count
            chats.append(chat)
        }
        let messages = try await connection.statement(
            PostgresStore.query("SELECT \(messageColumns) FROM \(schema).message\(chatFilter) ORDER BY chat_id, sequence", binds), logger: logger
        )
        for try await row in messages.decode((String, Int64, String, String, String?, String, Double?, Double).self) {
            guard let position = index[row.0] else { continue }
            chats[position].messages.append(
                MessageRecord(
                    id: MessageID(row.2), senderID: UserID(row.3), senderRole: row.4.flatMap(UserRole.init(rawValue:)),
                    messageType: MessageType(wireValue: row.5), sequence: row.1, createdAt: date(row.6),
                    receivedAt: Date(timeIntervalSinceReferenceDate: row.7)
                ))
        }
        let marks = try await connection.statement(
            PostgresStore.query("SELECT chat_id, reader_id, sequence FROM \(schema).read_mark\(chatFilter)", binds), logger: logger)
        for try await (chat, reader, sequence) in marks.decode((String, String, Int64).self) {
            guard let position = index[chat] else { continue }
            chats[position].readUpTo[UserID(reader)] = sequence
        }
        return chats
    }

    static func users(on connection: PostgresConnection, schema: String, logger: Logger) async throws -> [UserRecord] {
        var users: [UserRecord] = []
        let rows = try await connection.statement(
            "SELECT id, role, presence, presence_since, last_assigned_at, topics FROM \(unescaped: schema).chat_user", logger: logger
        )
        for try await (id, role, presence, since, assigned, topics) in rows.decode((String, String?, String?, Double?, Double?, String?).self) {
            var user = UserRecord(id: UserID(id), role: role.flatMap(UserRole.init(rawValue:)))
            user.presence = presence.map(PresenceStatus.init(wireValue:))
            user.presenceSince = date(since)
            user.lastAssignedAt = date(assigned)
            user.topics = try topics.map { Set(try JSONDecoder().decode([String].self, from: Data($0.utf8))) }
            users.append(user)
        }
        return users
    }

    // MARK: Writing

    /// A column as a statement reads it from a JSON row: bytea travels as base64 text.
    struct Column {
        var name: String
        var type: String

        init(_ name: String, _ type: String) {
            self.name = name
            self.type = type
        }

        var recordType: String { type == "bytea" ? "text" : type }
        var selected: String { type == "bytea" ? "decode(r.\(name), 'base64')" : "r.\(name)" }
    }

    static let messageTable = [
        Column("chat_id", "text"), Column("sequence", "bigint"), Column("id", "text"), Column("sender_id", "text"),
        Column("sender_role", "text"), Column("message_type", "text"), Column("created_at", "float8"), Column("received_at", "float8"),
    ]
    static let stateTable = [
        Column("scope", "text"), Column("owner", "text"), Column("bot", "text"), Column("name", "text"), Column("value", "bytea"),
    ]
    static let timerTable = [
        Column("bot", "text"), Column("name", "text"), Column("kind", "text"), Column("fire_at", "float8"), Column("chat_id", "text"),
        Column("payload", "bytea"),
    ]
    static let outboxTable = [
        Column("idempotency_key", "text"), Column("bot", "text"), Column("chat_id", "text"), Column("kind", "text"), Column("action", "bytea"),
        Column("created_at", "float8"), Column("attempts", "bigint"), Column("next_attempt_at", "float8"), Column("expires_at", "float8"),
    ]
    static let chatTable = [
        Column("id", "text"), Column("client_id", "text"), Column("type", "text"), Column("topic", "text"), Column("status", "text"),
        Column("curator_id", "text"), Column("opened_at", "float8"), Column("message_count", "bigint"),
        Column("last_client_message_at", "float8"), Column("last_curator_message_at", "float8"), Column("last_event_at", "float8"),
    ]
    static let readMarkTable = [Column("chat_id", "text"), Column("reader_id", "text"), Column("sequence", "bigint")]
    static let userTable = [
        Column("id", "text"), Column("role", "text"), Column("presence", "text"), Column("presence_since", "float8"),
        Column("last_assigned_at", "float8"), Column("topics", "text"),
    ]

    /// Writes what a batch leaves behind, in an open transaction, in the order that
    /// makes it equal to its commits applied one by one.
    static func write(_ batch: PostgresBatch, on connection: PostgresConnection, schema: String, logger: Logger) async throws {
        let writer = Writer(connection: connection, schema: schema, logger: logger)
        if !batch.wiped.isEmpty {
            let chats = batch.wiped.sorted()
            for sql in [
                "DELETE FROM \(schema).message WHERE chat_id = ANY($1)", "DELETE FROM \(schema).read_mark WHERE chat_id = ANY($1)",
                "DELETE FROM \(schema).bot_state WHERE scope = 'chat' AND owner = ANY($1)", "DELETE FROM \(schema).timer WHERE chat_id = ANY($1)",
            ] {
                var bindings = PostgresBindings()
                bindings.append(chats)
                try await connection.statement(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).drain()
            }
        }
        let messageKeys = batch.messages.filter { $0.value == nil }.keys.map {
            PostgresBatch.KeyRow(chatId: $0.chatID.rawValue, sequence: $0.sequence)
        }
        try await writer.delete(from: "message", key: [Column("chat_id", "text"), Column("sequence", "bigint")], messageKeys)
        try await writer.upsert("message", messageTable, key: 2, batch.messages.values.compactMap { $0 })
        let stateKeys = batch.states.filter { $0.value == nil }.keys.map { key in
            let (scope, owner) = BotStateRows.columns(of: key.scope)
            return PostgresBatch.KeyRow(scope: scope, owner: owner, bot: key.bot, name: key.name)
        }
        try await writer.delete(
            from: "bot_state", key: [Column("scope", "text"), Column("owner", "text"), Column("bot", "text"), Column("name", "text")], stateKeys
        )
        try await writer.upsert("bot_state", stateTable, key: 4, batch.states.values.compactMap { $0 })
        let timerKeys = batch.timers.filter { $0.value == nil }.keys.map { PostgresBatch.KeyRow(bot: $0.bot, name: $0.name) }
        try await writer.delete(from: "timer", key: [Column("bot", "text"), Column("name", "text")], timerKeys)
        try await writer.upsert("timer", timerTable, key: 2, batch.timers.values.compactMap { $0 })
        if !batch.actions.isEmpty {
            // Ids in commit order, visible in that order: one outbox writer at a time.
            try await connection.statement(PostgresSchema.writeLock(of: schema), logger: logger).drain()
            try await writer.insert("outbox", outboxTable, orderedBy: "ord bigint", batch.actions)
        }
        let chats = batch.records.chats.values
        try await writer.upsert("chat", chatTable, key: 1, chats.map(PostgresBatch.ChatRow.init), alsoSet: "forgotten_at = NULL")
        let marks = chats.flatMap { chat in
            chat.readUpTo.map { PostgresBatch.ReadMarkRow(chatId: chat.id.rawValue, readerId: $0.key.rawValue, sequence: $0.value) }
        }
        try await writer.upsert("read_mark", readMarkTable, key: 2, marks)
        try await writer.upsert("chat_user", userTable, key: 1, try batch.records.users.values.map(PostgresBatch.UserRow.init))
        if !batch.records.forgotten.isEmpty {
            // A chat that never recorded its last event counts from when it was forgotten.
            let rows = batch.records.forgotten.map { PostgresBatch.ForgottenRow(id: $0.key.rawValue, at: $0.value.timeIntervalSinceReferenceDate) }
            try await writer.run(
                """
                UPDATE \(schema).chat c SET forgotten_at = r.at, last_event_at = COALESCE(c.last_event_at, r.at)
                FROM jsonb_to_recordset($1::jsonb) AS r(id text, at float8) WHERE c.id = r.id
                """, rows)
        }
    }

    /// Statements that read their rows from one JSON parameter.
    struct Writer {
        let connection: PostgresConnection
        let schema: String
        let logger: Logger

        /// Inserts rows, or updates the row with the same first `key` columns.
        func upsert(_ table: String, _ columns: [Column], key: Int, _ rows: [some Encodable], alsoSet: String? = nil) async throws {
            let names = columns.map(\.name).joined(separator: ", ")
            let updates = columns.dropFirst(key).map { "\($0.name) = EXCLUDED.\($0.name)" } + (alsoSet.map { [$0] } ?? [])
            try await run(
                """
                INSERT INTO \(schema).\(table) (\(names)) SELECT \(columns.map(\.selected).joined(separator: ", "))
                FROM jsonb_to_recordset($1::jsonb) AS r(\(recordDefinition(columns)))
                ON CONFLICT (\(columns.prefix(key).map(\.name).joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))
                """, rows)
        }

        /// Inserts rows in the order of their `order` column.
        func insert(_ table: String, _ columns: [Column], orderedBy order: String, _ rows: [some Encodable]) async throws {
            let orderName = order.split(separator: " ")[0]
            try await run(
                """
                INSERT INTO \(schema).\(table) (\(columns.map(\.name).joined(separator: ", ")))
                SELECT \(columns.map(\.selected).joined(separator: ", "))
                FROM jsonb_to_recordset($1::jsonb) AS r(\(recordDefinition(columns)), \(order)) ORDER BY r.\(orderName)
                """, rows)
        }

        /// Deletes the rows whose `key` columns match a row's.
        func delete(from table: String, key: [Column], _ rows: [some Encodable]) async throws {
            try await run(
                """
                DELETE FROM \(schema).\(table) t USING jsonb_to_recordset($1::jsonb) AS r(\(recordDefinition(key)))
                WHERE \(key.map { "t.\($0.name) = r.\($0.name)" }.joined(separator: " AND "))
                """, rows)
        }

        /// Runs `sql` with the rows as its one parameter; nothing when there are none.
        func run(_ sql: String, _ rows: [some Encodable]) async throws {
            guard !rows.isEmpty else { return }
            var bindings = PostgresBindings()
            bindings.append(try JSONRows.text(rows))
            try await connection.statement(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).drain()
        }

        private func recordDefinition(_ columns: [Column]) -> String {
            columns.map { "\($0.name) \($0.recordType)" }.joined(separator: ", ")
        }
    }

    // MARK: Values

    private static func date(_ seconds: Double?) -> Date? {
        seconds.map(Date.init(timeIntervalSinceReferenceDate:))
    }
}
