import ChatBotKit
import Foundation
import GRDB

extension SQLiteStore {
    /// Opens an existing store for inspection, safely beside a running runtime (WAL lets
    /// readers and the runtime's writer work at once). Refuses a path with no store:
    /// inspecting must never create one.
    public static func existing(at path: String) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.cannotOpen(path: path, reason: "there is no store there (check store.path in the config)")
        }
        // Inspecting never creates a store, nor turns an empty file into one.
        let migrations: [String]?
        do {
            migrations = try recordedMigrations(at: path)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
        guard migrations?.contains(where: { $0.hasPrefix("v1:") }) == true else {
            throw StoreError.cannotOpen(path: path, reason: "it is not a ChatBots store")
        }
        return try SQLiteStore(path: path)
    }

    public func summary(closedStatuses: Set<ChatStatus>) async throws -> StoreSummary {
        try await pool.read { db in
            let outbox = try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
            return StoreSummary(
                chats: try WorldTables.chats(in: db), users: try WorldTables.users(in: db), closedStatuses: closedStatuses,
                outboxByStatus: Dictionary(uniqueKeysWithValues: outbox.map { ($0["status"] as String, $0["n"] as Int) }),
                pendingTimers: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM timer") ?? 0,
                nextTimerDue: try Double.fetchOne(db, sql: "SELECT MIN(fire_at) FROM timer").map { Date(timeIntervalSince1970: $0) },
                chatsForgotten: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chat WHERE forgotten_at IS NOT NULL") ?? 0
            )
        }
    }

    public func inspect(chat id: ChatID) async throws -> ChatInspection? {
        try await pool.read { db in
            guard let chat = try WorldTables.chat(id, in: db) else { return nil }
            // The chat's own keys, and its client's (their last curator, say).
            let clientKeys = try chat.clientID.map { try BotStateRows.user($0, in: db) } ?? []
            let state = ChatInspection.StateEntry.entries(try BotStateRows.chat(id, in: db) + clientKeys)
            let timers = try Row.fetchAll(
                db, sql: "SELECT bot, name, fire_at, payload FROM timer WHERE chat_id = ? ORDER BY fire_at", arguments: [id.rawValue]
            ).map { row in
                ChatInspection.TimerEntry(
                    bot: row["bot"], name: row["name"], fireAt: Date(timeIntervalSince1970: row["fire_at"]),
                    payload: try self.decoder.decode(JSONValue.self, from: row["payload"] as Data)
                )
            }
            let actions = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, idempotency_key, bot, action, created_at, attempts, status, settled_at, last_error FROM outbox
                    WHERE chat_id = ? ORDER BY id
                    """, arguments: [id.rawValue]
            ).map { row in
                let settled: Double? = row["settled_at"]
                return ChatInspection.ActionEntry(
                    id: row["id"], bot: row["bot"], action: try self.decoder.decode(BotAction.self, from: row["action"] as Data),
                    idempotencyKey: row["idempotency_key"], status: row["status"], attempts: row["attempts"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]), settledAt: settled.map { Date(timeIntervalSince1970: $0) },
                    lastError: row["last_error"]
                )
            }
            return ChatInspection(chat: chat, state: state, timers: timers, actions: actions)
        }
    }

    public func deadLetterList() async throws -> [DeadLetter] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, bot, action, attempts, last_error, settled_at, status FROM outbox WHERE status IN ('dead', 'expired') ORDER BY id
                    """
            ).map { row in
                let settled: Double? = row["settled_at"]
                return DeadLetter(
                    id: row["id"], bot: row["bot"], action: try self.decoder.decode(BotAction.self, from: row["action"] as Data),
                    attempts: row["attempts"], reason: row["last_error"] ?? "", settledAt: settled.map { Date(timeIntervalSince1970: $0) },
                    expired: row["status"] == "expired"
                )
            }
        }
    }

    @discardableResult
    public func requeueDeadLetters(_ ids: [Int64]?, now: Date) async throws -> [Int64] {
        try await pool.write { db in
            let dead = try Int64.fetchAll(db, sql: "SELECT id FROM outbox WHERE status = 'dead' ORDER BY id")
            let chosen = ids.map { wanted in dead.filter(wanted.contains) } ?? dead
            for id in chosen {
                try db.execute(
                    sql: """
                        UPDATE outbox SET id = (SELECT MAX(id) FROM outbox) + 1, status = 'pending', next_attempt_at = ?, created_at = ?,
                            attempts = 0, expires_at = NULL, settled_at = NULL,
                            last_error = 'requeued by hand after: ' || COALESCE(last_error, '') WHERE id = ?
                        """,
                    arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, id]
                )
            }
            return chosen
        }
    }
}
