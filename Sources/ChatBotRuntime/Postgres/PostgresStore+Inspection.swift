import ChatBotKit
import Foundation
import PostgresNIO

extension PostgresStore {
    public func summary(closedStatuses: Set<ChatStatus>) async throws -> StoreSummary {
        try await client.withConnection { connection in
            let chats = try await PostgresWorldRows.chats(on: connection, schema: schema, logger: logger)
            let users = try await PostgresWorldRows.users(on: connection, schema: schema, logger: logger)
            var byStatus: [String: Int] = [:]
            for try await (status, count) in try await connection.statement(
                "SELECT status, COUNT(*) FROM \(unescaped: schema).outbox GROUP BY status", logger: logger
            ).decode((String, Int).self) {
                byStatus[status] = count
            }
            var timers = (count: 0, next: nil as Double?)
            var forgotten = 0
            for try await row in try await connection.statement(
                """
                SELECT (SELECT COUNT(*) FROM \(unescaped: schema).timer), (SELECT MIN(fire_at) FROM \(unescaped: schema).timer),
                       (SELECT COUNT(*) FROM \(unescaped: schema).chat WHERE forgotten_at IS NOT NULL)
                """, logger: logger
            ).decode((Int, Double?, Int).self) {
                (timers, forgotten) = ((row.0, row.1), row.2)
            }
            var summary = StoreSummary(
                chats: chats, users: users, closedStatuses: closedStatuses, outboxByStatus: byStatus, pendingTimers: timers.count,
                nextTimerDue: timers.next.map(Date.init(timeIntervalSince1970:)), chatsForgotten: forgotten
            )
            summary.lease = try await leaseState()
            return summary
        }
    }

    public func inspect(chat id: ChatID) async throws -> ChatInspection? {
        try await client.withConnection { connection in
            guard let chat = try await PostgresWorldRows.chats(on: connection, schema: schema, only: id, logger: logger).first else { return nil }
            let stateQuery = "SELECT scope, owner, bot, name, value FROM \(schema).bot_state WHERE scope = $1 AND owner = $2"
            var states = try await stateRows(Self.query(stateQuery, ["chat", id.rawValue]), on: connection)
            // The chat's own keys, and its client's (their last curator, say).
            if let client = chat.clientID { states += try await stateRows(Self.query(stateQuery, ["user", client.rawValue]), on: connection) }
            var timers: [ChatInspection.TimerEntry] = []
            for try await (bot, name, fireAt, payload) in try await connection.statement(
                "SELECT bot, name, fire_at, payload FROM \(unescaped: schema).timer WHERE chat_id = \(id.rawValue) ORDER BY fire_at", logger: logger
            ).decode((String, String, Double, Data).self) {
                timers.append(
                    .init(
                        bot: bot, name: name, fireAt: Date(timeIntervalSince1970: fireAt), payload: try decoder.decode(JSONValue.self, from: payload))
                )
            }
            var actions: [ChatInspection.ActionEntry] = []
            for try await row in try await connection.statement(
                """
                SELECT id, idempotency_key, bot, action, created_at, attempts, status, settled_at, last_error FROM \(unescaped: schema).outbox
                WHERE chat_id = \(id.rawValue) ORDER BY id
                """, logger: logger
            ).decode((Int64, String, String, Data, Double, Int, String, Double?, String?).self) {
                actions.append(
                    .init(
                        id: row.0, bot: row.2, action: try decoder.decode(BotAction.self, from: row.3), idempotencyKey: row.1, status: row.6,
                        attempts: row.5, createdAt: Date(timeIntervalSince1970: row.4), settledAt: row.7.map(Date.init(timeIntervalSince1970:)),
                        lastError: row.8
                    ))
            }
            return ChatInspection(chat: chat, state: ChatInspection.StateEntry.entries(states), timers: timers, actions: actions)
        }
    }

    public func deadLetterList() async throws -> [DeadLetter] {
        try await client.withConnection { connection in
            var letters: [DeadLetter] = []
            for try await row in try await connection.statement(
                """
                SELECT id, bot, action, attempts, last_error, settled_at, status FROM \(unescaped: schema).outbox
                WHERE status IN ('dead', 'expired') ORDER BY id
                """, logger: logger
            ).decode((Int64, String, Data, Int, String?, Double?, String).self) {
                letters.append(
                    DeadLetter(
                        id: row.0, bot: row.1, action: try decoder.decode(BotAction.self, from: row.2), attempts: row.3, reason: row.4 ?? "",
                        settledAt: row.5.map(Date.init(timeIntervalSince1970:)), expired: row.6 == "expired"
                    ))
            }
            return letters
        }
    }

    @discardableResult
    public func requeueDeadLetters(_ ids: [Int64]?, now: Date) async throws -> [Int64] {
        try await transaction { [self] connection in
            // A new, highest id each, given under the outbox's write lock as a commit's are.
            try await execute(PostgresSchema.writeLock(of: schema), on: connection)
            var dead: [Int64] = []
            for try await id in try await connection.statement(
                "SELECT id FROM \(unescaped: schema).outbox WHERE status = 'dead' ORDER BY id", logger: logger
            ).decode(Int64.self) {
                dead.append(id)
            }
            let chosen = ids.map { wanted in dead.filter(wanted.contains) } ?? dead
            let sequence = "\(schema).outbox_id_seq"
            for id in chosen {
                try await execute(
                    """
                    UPDATE \(unescaped: schema).outbox SET id = nextval(\(sequence)::regclass), status = 'pending',
                        next_attempt_at = \(now.timeIntervalSince1970), created_at = \(now.timeIntervalSince1970), attempts = 0, expires_at = NULL,
                        settled_at = NULL, last_error = 'requeued by hand after: ' || COALESCE(last_error, '') WHERE id = \(id)
                    """, on: connection)
            }
            return chosen
        }
    }

    /// `sql` with `$1`, `$2`… bound to `values`.
    static func query(_ sql: String, _ values: [String]) -> PostgresQuery {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
