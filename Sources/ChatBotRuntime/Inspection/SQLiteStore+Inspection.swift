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

    /// The whole store at a glance.
    ///
    /// - Parameter closedStatuses: The statuses that close a chat (the config's
    ///   `engine.closed_statuses`).
    public func summary(closedStatuses: Set<ChatStatus> = [.closed, .resolved, .archived]) async throws -> StoreSummary {
        try await pool.read { db in
            let chats = try WorldTables.chats(in: db)
            let users = try WorldTables.users(in: db)
            var byStatus: [String: Int] = [:]
            for chat in chats { byStatus[chat.status?.wireValue ?? "open", default: 0] += 1 }
            let curators = users.filter { $0.role == .curator }
            let openStatuses: (ChatRecord) -> Bool = { chat in chat.status.map { !closedStatuses.contains($0) } ?? true }
            let outbox = try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
            let counts = Dictionary(uniqueKeysWithValues: outbox.map { ($0["status"] as String, $0["n"] as Int) })
            let nextDue = try Double.fetchOne(db, sql: "SELECT MIN(fire_at) FROM timer")
            return StoreSummary(
                chatsByStatus: byStatus,
                waitingChats: chats.filter { $0.curatorID == nil && openStatuses($0) }.map(\.id).sorted(),
                curatorsKnown: curators.count,
                curatorsOnline: curators.filter(\.isOnline).map(\.id).sorted(),
                pendingTimers: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM timer") ?? 0,
                nextTimerDue: nextDue.map { Date(timeIntervalSince1970: $0) },
                outboxPending: counts["pending"] ?? 0, outboxDelivered: counts["delivered"] ?? 0, deadLetters: counts["dead"] ?? 0,
                chatsForgotten: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chat WHERE forgotten_at IS NOT NULL") ?? 0
            )
        }
    }

    /// Everything about one chat; `nil` if the store never saw it.
    public func inspect(chat id: ChatID) async throws -> ChatInspection? {
        try await pool.read { db in
            guard let chat = try WorldTables.chat(id, in: db) else { return nil }
            // The chat's own keys, and its client's (their last curator, say).
            let clientKeys = try chat.clientID.map { try BotStateRows.user($0, in: db) } ?? []
            let state = (try BotStateRows.chat(id, in: db) + clientKeys).compactMap { state -> ChatInspection.StateEntry? in
                guard let value = state.data else { return nil }
                return .init(bot: state.key.bot, key: "\(state.key)", value: (try? self.decoder.decode(JSONValue.self, from: value)) ?? .string(String(decoding: value, as: UTF8.self)))
            }.sorted { ($0.bot, $0.key) < ($1.bot, $1.key) }
            let timers = try Row.fetchAll(db, sql: "SELECT bot, name, fire_at, payload FROM timer WHERE chat_id = ? ORDER BY fire_at", arguments: [id.rawValue]).map { row in
                ChatInspection.TimerEntry(
                    bot: row["bot"], name: row["name"], fireAt: Date(timeIntervalSince1970: row["fire_at"]),
                    payload: try self.decoder.decode(JSONValue.self, from: row["payload"] as Data)
                )
            }
            let actions = try Row.fetchAll(db, sql: """
                SELECT id, idempotency_key, bot, action, created_at, attempts, status, settled_at, last_error FROM outbox
                WHERE chat_id = ? ORDER BY id
                """, arguments: [id.rawValue]).map { row in
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

    /// Dead letters and actions that expired unsent, oldest first.
    public func deadLetterList() async throws -> [DeadLetter] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, bot, action, attempts, last_error, settled_at, status FROM outbox WHERE status IN ('dead', 'expired') ORDER BY id
                """).map { row in
                let settled: Double? = row["settled_at"]
                return DeadLetter(
                    id: row["id"], bot: row["bot"], action: try self.decoder.decode(BotAction.self, from: row["action"] as Data),
                    attempts: row["attempts"], reason: row["last_error"] ?? "", settledAt: settled.map { Date(timeIntervalSince1970: $0) },
                    expired: row["status"] == "expired"
                )
            }
        }
    }

    /// Puts dead letters back in the outbox, due now, with their idempotency keys; a
    /// running runtime delivers them at its next look. Returns the ids re-queued (the
    /// ids they had as dead letters).
    ///
    /// Each moves to the end of the outbox (a new, highest id): the delivery reads
    /// forward from the last id it saw, and would never see a row put back behind it.
    /// Its maximum age and backoff count from now, and it no longer expires: a person
    /// asked for it to go.
    @discardableResult
    public func requeueDeadLetters(_ ids: [Int64]? = nil, now: Date = Date()) async throws -> [Int64] {
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
