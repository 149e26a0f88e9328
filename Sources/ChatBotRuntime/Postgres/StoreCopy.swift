import ChatBotKit
import Foundation
import GRDB
import PostgresNIO

/// Copies a SQLite store into an empty PostgreSQL one, in one transaction: the world,
/// the bots' state, the timers, and the whole outbox with its ids, statuses and
/// idempotency keys, so that a runtime moved onto PostgreSQL neither forgets a chat nor
/// sends an action twice. Closed chats retention already forgot are left behind.
public enum StoreCopy {
    /// What was copied.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var chats = 0
        public var users = 0
        public var stateKeys = 0
        public var timers = 0
        public var actions = 0
        public var pendingActions = 0
        public var forgottenChatsLeft = 0

        public var description: String {
            "\(chats) chats, \(users) users, \(stateKeys) bot state keys, \(timers) timers and \(actions) outbox rows (\(pendingActions) pending)"
                + (forgottenChatsLeft > 0 ? "; \(forgottenChatsLeft) chats retention had forgotten were left behind" : "")
        }
    }

    /// Why a copy was refused.
    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case notEmpty(location: String, rows: Int)

        public var description: String {
            switch self {
            case .notEmpty(let location, let rows):
                "the PostgreSQL store at \(location) is not empty (\(rows) rows): copy into a new schema, or drop this one first"
            }
        }
    }

    public static func copy(from source: SQLiteStore, to destination: PostgresStore) async throws -> Report {
        let snapshot = try await source.load()
        let outbox = try await source.outboxRows()
        let report = Report(
            chats: snapshot.chats.count, users: snapshot.users.count, stateKeys: snapshot.botState.count, timers: snapshot.timers.count,
            actions: outbox.count, pendingActions: outbox.filter { $0.status == "pending" }.count,
            forgottenChatsLeft: try await source.summary().chatsForgotten
        )
        var commit = Commit()
        commit.chats = snapshot.chats
        commit.users = snapshot.users
        commit.messages = snapshot.chats.flatMap { chat in chat.messages.map { StoredMessage(chatID: chat.id, message: $0) } }
        commit.stateWrites = snapshot.botState
        commit.timersScheduled = snapshot.timers
        let batch = try PostgresBatch([commit])
        let schema = destination.schema
        try await destination.transaction { connection in
            let rows = try await destination.rowCount(on: connection)
            guard rows == 0 else { throw Refusal.notEmpty(location: destination.location, rows: rows) }
            try await PostgresWorldRows.write(batch, on: connection, schema: schema, logger: destination.logger)
            let writer = PostgresWorldRows.Writer(connection: connection, schema: schema, logger: destination.logger)
            try await writer.run(
                """
                INSERT INTO \(schema).outbox (id, idempotency_key, bot, chat_id, kind, action, created_at, attempts, next_attempt_at, status,
                    settled_at, last_error, expires_at)
                SELECT r.id, r.idempotency_key, r.bot, r.chat_id, r.kind, decode(r.action, 'base64'), r.created_at, r.attempts,
                    r.next_attempt_at, r.status, r.settled_at, r.last_error, r.expires_at
                FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, idempotency_key text, bot text, chat_id text, kind text, action text,
                    created_at float8, attempts bigint, next_attempt_at float8, status text, settled_at float8, last_error text, expires_at float8)
                """, outbox)
            // New rows continue after the copied ids.
            try await connection.statement(
                "SELECT setval(\("\(schema).outbox_id_seq")::regclass, GREATEST((SELECT MAX(id) FROM \(unescaped: schema).outbox), 1))",
                logger: destination.logger
            ).drain()
        }
        return report
    }

    /// One outbox row as it is, for copying.
    struct OutboxRow: Codable {
        var id: Int64
        var idempotencyKey: String
        var bot: String
        var chatId: String?
        var kind: String
        var action: Data
        var createdAt: Double
        var attempts: Int
        var nextAttemptAt: Double
        var status: String
        var settledAt: Double?
        var lastError: String?
        var expiresAt: Double?
    }
}

extension SQLiteStore {
    /// Every outbox row, settled or not, in id order.
    func outboxRows() async throws -> [StoreCopy.OutboxRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, idempotency_key, bot, chat_id, kind, action, created_at, attempts, next_attempt_at, status, settled_at, last_error,
                        expires_at FROM outbox ORDER BY id
                    """
            ).map { row in
                StoreCopy.OutboxRow(
                    id: row["id"], idempotencyKey: row["idempotency_key"], bot: row["bot"], chatId: row["chat_id"], kind: row["kind"],
                    action: row["action"], createdAt: row["created_at"], attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"],
                    status: row["status"], settledAt: row["settled_at"], lastError: row["last_error"], expiresAt: row["expires_at"]
                )
            }
        }
    }
}

extension PostgresStore {
    /// Rows in the store's tables, all told.
    func rowCount(on connection: PostgresConnection) async throws -> Int {
        var total = 0
        let tables = ["chat", "chat_user", "message", "read_mark", "bot_state", "timer", "outbox"]
        let sql = "SELECT " + tables.map { "(SELECT COUNT(*) FROM \(schema).\($0))" }.joined(separator: " + ")
        for try await count in try await connection.statement(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) { total = count }
        return total
    }
}
