import ChatBotKit
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The ``Store`` in a PostgreSQL database: the same tables, retention and guarantees as
/// ``SQLiteStore``, in a schema of their own, for runtimes that share one store.
///
/// Every statement is a plain query: no prepared statements and nothing kept in a
/// session (`SET`, session advisory locks, `LISTEN`), so a pooler in transaction mode
/// (pgbouncer) may stand between. A batch of commits is one transaction of a dozen
/// statements whatever its size (``PostgresBatch``); times are stored as in SQLite, so a
/// store copied from one to the other reads back the same.
public final class PostgresStore: RuntimeStore {
    /// The database, as `postgres://user@host:port/database (schema NAME)`: never the password.
    public let location: String
    let client: PostgresClient
    /// The schema, quoted, as it is put in SQL.
    let schema: String
    let logger: Logger
    let decoder = JSONDecoder()
    /// The connection pool's own task; `nil` in a fenced view, which shares its pool.
    private let running: Task<Void, Never>?
    /// The time actions are settled at: the runtime's clock.
    private let now: @Sendable () -> Date
    /// The term every commit and settlement of this view must still hold.
    public let fence: Fence?
    /// The least time a leader's transaction is given (``transactionLimit``).
    private let transactionLimitFloor: Duration

    /// A leader's term, as the store checks it.
    public struct Fence: Sendable, Equatable {
        public var lease: LeaderLease
        public var term: Int64

        public init(lease: LeaderLease, term: Int64) {
            self.lease = lease
            self.term = term
        }

        public static func == (left: Fence, right: Fence) -> Bool {
            left.lease.holder == right.lease.holder && left.term == right.term
        }
    }

    private init(
        client: PostgresClient, running: Task<Void, Never>, section: PostgresSection, logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.client = client
        self.running = running
        location = "\(section.url) (schema \(section.schema))"
        schema = "\"\(section.schema)\""
        self.logger = logger
        self.now = now
        fence = nil
        transactionLimitFloor = .seconds(30)
    }

    private init(fencing base: PostgresStore, by fence: Fence, transactionLimitFloor: Duration) {
        client = base.client
        location = base.location
        schema = base.schema
        logger = base.logger
        now = base.now
        running = nil
        self.fence = fence
        self.transactionLimitFloor = transactionLimitFloor
    }

    /// The same store, as one leader's term writes it: each commit and each settlement
    /// first checks, in its own transaction, that the term still holds the lease, and
    /// writes nothing if not (``PostgresStoreError/fencedOut(term:)``). It shares this
    /// store's connections; closing it closes nothing.
    ///
    /// - Parameter transactionLimitFloor: The least time a transaction is given
    ///   (``transactionLimit``); less than 30 s in tests only.
    public func fenced(by fence: Fence, transactionLimitFloor: Duration = .seconds(30)) -> PostgresStore {
        PostgresStore(fencing: self, by: fence, transactionLimitFloor: transactionLimitFloor)
    }

    /// Inside a transaction: throws unless this view's term still holds the lease. The
    /// row is locked (shared) until the transaction ends, so no other runtime can take
    /// the lease while a write of this term is under way.
    func checkFence(on connection: PostgresConnection) async throws {
        guard let fence else { return }
        // The row lock below keeps any other runtime from taking the lease until this
        // transaction ends. A process paused (or cut off) in the middle of it must not
        // hold that lock for as long as it is paused: the server ends a transaction left
        // idle for the lease's life, and at least 10 s. No standby could take the lease
        // before its life is over anyway (it runs from the last renewal, which came
        // before this transaction began). The floor is for short leases: a healthy
        // transaction was seen idle for 1 s, then 4 s, between two statements under the
        // full test suite on two cores, and ending it cost far more than waiting
        // (PostgresNIO 1.33 may never answer a statement on a connection the server
        // ended; see ``transaction(_:)``). (SET LOCAL lasts for this transaction only, so
        // a pooler in transaction mode is fine.)
        let idle = max(fence.lease.milliseconds, 10_000)
        try await execute("SET LOCAL idle_in_transaction_session_timeout = \(unescaped: String(idle))", on: connection)
        var holds = false
        for try await _ in try await connection.statement(
            """
            SELECT term FROM \(unescaped: schema).leader_lease
            WHERE name = 'runtime' AND holder = \(fence.lease.holder) AND term = \(fence.term) AND expires_at > clock_timestamp()
            FOR SHARE
            """, logger: logger)
        {
            holds = true
        }
        guard holds else { throw PostgresStoreError.fencedOut(term: fence.term) }
    }

    /// Connects, makes the schema if needed and brings it up to date.
    ///
    /// - Parameters:
    ///   - password: The role's password (from the environment); `nil` for trust or
    ///     peer authentication.
    ///   - now: The clock actions are settled by (the runtime's).
    /// - Throws: ``PostgresStoreError/cannotConnect(url:reason:)`` naming the host, never
    ///   the password, when the database cannot be reached in `connect_timeout` or refuses us.
    ///   - existingOnly: Refuse a schema that holds no ChatBots store rather than make
    ///     one (for inspecting: `chatbots state` never creates a store).
    public static func open(
        _ section: PostgresSection, password: String?, logger: Logger, existingOnly: Bool = false,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> PostgresStore {
        do {
            // One connection first, alone: the pool would retry a refused connection or
            // a wrong password quietly until the deadline; this says what went wrong.
            try await withDeadline(.seconds(section.connectTimeout.seconds + 1)) {
                try await probe(section, password: password, logger: logger)
            }
        } catch {
            throw PostgresStoreError.cannotConnect(url: section.url.description, reason: PostgresErrorText.describe(error))
        }
        var configuration = PostgresClient.Configuration(
            host: section.host, port: section.port, username: section.username, password: password, database: section.database,
            tls: section.tls.clientTLS
        )
        configuration.options.connectTimeout = .seconds(section.connectTimeout.seconds)
        configuration.options.maximumConnections = section.maxConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // The pool runs until ``close()``. Detached: not until the service group begins
        // its graceful shutdown (a task-local that a child task would inherit), so the
        // last commits of a stopping runtime still have their connections.
        let running = Task.detached { await client.run() }
        let store = PostgresStore(client: client, running: running, section: section, logger: logger, now: now)
        do {
            // The pool retries a refused connection on its own: give up at the timeout.
            try await withDeadline(.seconds(section.connectTimeout.seconds)) {
                try await store.transaction { connection in
                    if existingOnly, try await !PostgresSchema.exists(connection, schema: section.schema, logger: logger) {
                        throw PostgresStoreError.noStore(location: store.location)
                    }
                    try await PostgresSchema.migrate(connection, schema: section.schema, logger: logger)
                }
            }
        } catch {
            await store.close()
            if let problem = error as? PostgresStoreError { throw problem }
            throw PostgresStoreError.cannotConnect(url: section.url.description, reason: PostgresErrorText.describe(error))
        }
        return store
    }

    /// Connects once and lets go: whether the server is there and takes us.
    private static func probe(_ section: PostgresSection, password: String?, logger: Logger) async throws {
        var configuration = PostgresConnection.Configuration(
            host: section.host, port: section.port, username: section.username, password: password, database: section.database,
            tls: try section.tls.connectionTLS
        )
        configuration.options.connectTimeout = .seconds(section.connectTimeout.seconds)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        try await connection.close()
    }

    /// Closes the pool's connections. Waits at most 5 s: a connection held by a query
    /// PostgresNIO never answers (left behind by a lost turn) would hold the pool, and
    /// with it the process, for good.
    public func close() async {
        guard let running else { return }
        running.cancel()
        if await AbandonableTask.start({ await running.value }).result(within: .seconds(5)) == nil {
            logger.warning("the store's connections did not all close within 5 s; left open", metadata: ["store": "\(location)"])
        }
    }

    /// Drops the store's schema with everything in it: for throwaway stores (benches,
    /// tests). The store is not used after.
    public func dropSchema() async throws {
        try await client.withConnection { connection in
            try await execute("DROP SCHEMA \(unescaped: schema) CASCADE", on: connection)
        }
    }

    /// Runs `body` in one transaction on one connection: committed if it returns,
    /// rolled back if it throws.
    ///
    /// A leader's transaction (a fenced view's) is left behind once it has taken three
    /// leases' time, and at least 30 s (``transactionLimit``; ``timedOut``). The server
    /// ends a transaction left idle for the lease's life (the fence's own timeout), and
    /// PostgresNIO 1.33 may then never answer its next statement: unbounded, the engine
    /// waited on that commit for ever while the keeper went on renewing. Bounded, the
    /// commit fails, the turn ends, and a runtime leads afresh from the store. The limit
    /// is generous: a commit slow under load is no reason to end a turn.
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        guard let limit = transactionLimit else { return try await unboundedTransaction(body) }
        do {
            return try await withAbandonableDeadline(limit) { try await self.unboundedTransaction(body) }
        } catch is DeadlineExceeded {
            throw PostgresStoreError.timedOut(location: location, limit: limit)
        }
    }

    /// How long a leader's transaction may take; `nil` for a view without a fence.
    var transactionLimit: Duration? {
        fence.map { max($0.lease.timeToLive * 3, transactionLimitFloor) }
    }

    private func unboundedTransaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            try await execute("BEGIN", on: connection)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                try? await rollBack(on: connection)
                throw error
            }
            try await execute("COMMIT", on: connection)
            return result
        }
    }

    /// Runs one statement that returns no rows.
    ///
    /// Never on a connection already closed: PostgresNIO 1.33 drops a statement written
    /// to a channel that has just closed without ever answering it (vapor/postgres-nio
    /// #487, reverted in #501), and the task waiting for it ignores cancellation. (A
    /// close in between the check and the write remains; a lost leader's parts are left
    /// behind if they hang, see BotRuntime+Leadership.)
    func execute(_ query: PostgresQuery, on connection: PostgresConnection) async throws {
        guard !connection.isClosed else { throw PostgresStoreError.connectionClosed(location: location) }
        try await connection.query(query, logger: logger).drain()
    }

    /// Ends a failed transaction, if its connection is still there to end it on (the
    /// server ends it with a lost connection).
    func rollBack(on connection: PostgresConnection) async throws {
        guard !connection.isClosed else { return }
        try await connection.query("ROLLBACK", logger: logger).drain()
    }

    // MARK: Loading

    public func load() async throws -> StoreSnapshot {
        try await load(withState: true)
    }

    public func loadWithoutChatState() async throws -> StoreSnapshot {
        try await load(withState: false)
    }

    private func load(withState: Bool) async throws -> StoreSnapshot {
        // One transaction, repeatable read: every table as of the same moment.
        try await client.withConnection { connection in
            try await execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: connection)
            var snapshot = StoreSnapshot()
            do {
                snapshot.chats = try await PostgresWorldRows.chats(on: connection, schema: schema, logger: logger)
                snapshot.users = try await PostgresWorldRows.users(on: connection, schema: schema, logger: logger)
                let filter = withState ? "" : " WHERE scope != 'chat'"
                snapshot.botState = try await stateRows(
                    "SELECT scope, owner, bot, name, value FROM \(unescaped: schema).bot_state\(unescaped: filter)", on: connection)
                let timers = try await connection.statement(
                    "SELECT bot, name, kind, fire_at, chat_id, payload FROM \(unescaped: schema).timer", logger: logger
                )
                for try await (bot, name, kind, fireAt, chat, payload) in timers.decode((String, String, String, Double, String?, Data).self) {
                    let request = TimerRequest(
                        name: name, kind: kind, fireAt: Date(timeIntervalSince1970: fireAt), chatID: chat.map { ChatID($0) }, payload: Array(payload)
                    )
                    snapshot.timers.append(StoredTimer(bot: bot, request: request))
                }
            } catch {
                try? await rollBack(on: connection)
                throw error
            }
            try await execute("COMMIT", on: connection)
            return snapshot
        }
    }

    public func chatState(of chat: ChatID) async throws -> [StoredBotState] {
        try await client.withConnection { connection in
            try await stateRows(
                "SELECT scope, owner, bot, name, value FROM \(unescaped: schema).bot_state WHERE scope = 'chat' AND owner = \(chat.rawValue)",
                on: connection
            )
        }
    }

    /// Waits for ``chatState(of:)``: called on the engine's own sequence thread (never
    /// one of Swift's shared pool), which the query's wait only holds, while the query
    /// itself runs on the pool and the database's event loop.
    public func chatStateNow(of chat: ChatID) throws -> [StoredBotState] {
        try BlockingWait.result(timeout: .seconds(30)) { try await self.chatState(of: chat) }
    }

    public func storedStates(bot: String) async throws -> [StoredBotState] {
        try await client.withConnection { connection in
            try await stateRows("SELECT scope, owner, bot, name, value FROM \(unescaped: schema).bot_state WHERE bot = \(bot)", on: connection)
        }
    }

    func stateRows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [StoredBotState] {
        var states: [StoredBotState] = []
        let rows = try await connection.statement(query, logger: logger)
        for try await (scope, owner, bot, name, value) in rows.decode((String, String, String, String, Data).self) {
            if let state = BotStateRows.state(scope: scope, owner: owner, bot: bot, name: name, value: value) { states.append(state) }
        }
        return states
    }

    // MARK: Committing

    public func commit(_ commits: [Commit]) async throws {
        let batch = try PostgresBatch(commits)
        try await transaction { [self] connection in
            try await checkFence(on: connection)
            try await PostgresWorldRows.write(batch, on: connection, schema: schema, logger: logger)
        }
    }

    // MARK: The outbox

    static let outboxColumns = "id, idempotency_key, bot, action, created_at, attempts, next_attempt_at, expires_at"

    public func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] {
        try await outboxEntries(
            """
            SELECT \(unescaped: Self.outboxColumns) FROM \(unescaped: schema).outbox
            WHERE status = 'pending' AND id > \(id) ORDER BY id LIMIT \(limit)
            """)
    }

    public func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await outboxEntries(
            """
            SELECT \(unescaped: Self.outboxColumns) FROM \(unescaped: schema).outbox
            WHERE status = 'pending' AND chat_id = \(chat.rawValue) AND id BETWEEN \(ids.lowerBound) AND \(ids.upperBound)
                AND (kind = 'alert') = \(alerts)
            ORDER BY id LIMIT \(limit)
            """)
    }

    private func outboxEntries(_ query: PostgresQuery) async throws -> [OutboxEntry] {
        try await client.withConnection { connection in
            var entries: [OutboxEntry] = []
            let rows = try await connection.statement(query, logger: logger)
            for try await (id, key, bot, action, createdAt, attempts, nextAttemptAt, expiresAt) in rows.decode(
                (Int64, String, String, Data, Double, Int, Double, Double?).self
            ) {
                entries.append(
                    OutboxEntry(
                        id: id, idempotencyKey: key, bot: bot, action: try decoder.decode(BotAction.self, from: action),
                        createdAt: Date(timeIntervalSince1970: createdAt), attempts: attempts,
                        nextAttemptAt: Date(timeIntervalSince1970: nextAttemptAt),
                        expiresAt: expiresAt.map(Date.init(timeIntervalSince1970:))
                    ))
            }
            return entries
        }
    }

    public func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        let now = now().timeIntervalSince1970
        // PostgreSQL text holds no NUL, which a response body (a gzip error page) may:
        // the reason is kept without them, or settling would fail on every attempt.
        let outcome: DeliveryOutcome =
            switch outcome {
            case .retry(let at, let reason): .retry(at: at, reason: reason.replacingOccurrences(of: "\u{0}", with: ""))
            case .deadLetter(let reason): .deadLetter(reason: reason.replacingOccurrences(of: "\u{0}", with: ""))
            case .expired(let reason): .expired(reason: reason.replacingOccurrences(of: "\u{0}", with: ""))
            case .delivered: .delivered
            }
        let outbox = "\(schema).outbox"
        try await transaction { [self] connection in
            try await checkFence(on: connection)
            switch outcome {
            case .delivered:
                try await execute(
                    "UPDATE \(unescaped: outbox) SET status = 'delivered', attempts = attempts + 1, settled_at = \(now), last_error = NULL WHERE id = \(id)",
                    on: connection
                )
            case .retry(let date, let reason):
                try await execute(
                    "UPDATE \(unescaped: outbox) SET attempts = attempts + 1, next_attempt_at = \(date.timeIntervalSince1970), last_error = \(reason) WHERE id = \(id)",
                    on: connection
                )
            case .deadLetter(let reason):
                try await execute(
                    "UPDATE \(unescaped: outbox) SET status = 'dead', attempts = attempts + 1, settled_at = \(now), last_error = \(reason) WHERE id = \(id)",
                    on: connection
                )
            case .expired(let reason):
                // Not an attempt: nothing was sent.
                try await execute(
                    "UPDATE \(unescaped: outbox) SET status = 'expired', settled_at = \(now), last_error = \(reason) WHERE id = \(id)", on: connection
                )
            }
            if let followUp {
                var batch = PostgresBatch()
                batch.actions = [try PostgresBatch.ActionRow(followUp, order: 0, encoder: JSONEncoder())]
                try await PostgresWorldRows.write(batch, on: connection, schema: schema, logger: logger)
            }
        }
    }

    // MARK: Retention and counts

    public func deleteSettledActions(_ kind: SettledActions, settledBefore date: Date, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await count(
            """
            DELETE FROM \(unescaped: schema).outbox WHERE id IN (
                SELECT id FROM \(unescaped: schema).outbox WHERE status != 'pending' AND settled_at < \(date.timeIntervalSince1970)
                    AND status IN (\(unescaped: kind.statuses)) ORDER BY settled_at LIMIT \(limit))
            RETURNING 1
            """)
    }

    public func deleteForgottenChats(quietBefore date: Date, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await count(
            """
            DELETE FROM \(unescaped: schema).chat WHERE id IN (
                SELECT id FROM \(unescaped: schema).chat WHERE forgotten_at IS NOT NULL AND last_event_at < \(date.timeIntervalSinceReferenceDate)
                    ORDER BY last_event_at LIMIT \(limit))
            RETURNING 1
            """)
    }

    /// Runs a statement and counts the rows it returns.
    private func count(_ query: PostgresQuery) async throws -> Int {
        try await client.withConnection { connection in
            var count = 0
            for try await _ in try await connection.statement(query, logger: logger) { count += 1 }
            return count
        }
    }

    /// What the outbox holds. The server gives up after 2 s (the status budget), so a
    /// count waiting on a lock never keeps a connection longer than a probe waits.
    public func outboxCounts() async throws -> OutboxCounts {
        do {
            return try await countOutbox()
        } catch let error as PSQLError {
            // In the server's words ("canceling statement due to statement timeout"), not
            // PostgresNIO's generic description.
            throw StatementFailed(description: PostgresErrorText.describe(error))
        }
    }

    /// A statement the server refused or ended, in its own words.
    struct StatementFailed: Error, CustomStringConvertible {
        let description: String
    }

    private func countOutbox() async throws -> OutboxCounts {
        try await unboundedTransaction { [self] connection in
            try await execute("SET LOCAL statement_timeout = 2000", on: connection)
            let rows = try await connection.statement(
                """
                SELECT (SELECT COUNT(*) FROM \(unescaped: schema).outbox WHERE status = 'pending'),
                       (SELECT COUNT(*) FROM \(unescaped: schema).outbox WHERE status = 'dead'),
                       (SELECT created_at FROM \(unescaped: schema).outbox WHERE status = 'pending' ORDER BY id LIMIT 1)
                """, logger: logger)
            var counts = OutboxCounts(pending: 0, dead: 0, oldestPendingCreatedAt: nil)
            for try await (pending, dead, oldest) in rows.decode((Int, Int, Double?).self) {
                counts = OutboxCounts(pending: pending, dead: dead, oldestPendingCreatedAt: oldest.map(Date.init(timeIntervalSince1970:)))
            }
            return counts
        }
    }

    /// Whether a transaction that writes could start now: the database is reachable and
    /// is not a read-only replica.
    public func checkWritable() async throws {
        let writable = try await transaction { [self] connection in
            var writable = false
            let rows = try await connection.statement(
                "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'", logger: logger
            )
            for try await value in rows.decode(Bool.self) { writable = value }
            return writable
        }
        guard writable else { throw PostgresStoreError.readOnly(location: location) }
    }
}

/// Why the PostgreSQL store could not be used.
public enum PostgresStoreError: Error, CustomStringConvertible, Equatable {
    /// The database could not be reached, or refused us.
    case cannotConnect(url: String, reason: String)
    /// The schema was migrated by a newer ChatBots: this one does not know its tables.
    case newerSchema(schema: String, version: Int, known: Int)
    /// The database takes no writes (a replica, or `default_transaction_read_only`).
    case readOnly(location: String)
    /// The schema holds no ChatBots store (and inspecting does not make one).
    case noStore(location: String)
    /// This runtime's term no longer holds the lease: another leads, or may; nothing
    /// was written.
    case fencedOut(term: Int64)
    /// The connection closed under a transaction (the server restarted, the network
    /// dropped): it was not committed.
    case connectionClosed(location: String)
    /// A leader's transaction took longer than the lease's time to live, and was left
    /// unfinished (its connection may never have answered).
    case timedOut(location: String, limit: Duration)

    public var description: String {
        switch self {
        case .cannotConnect(let url, let reason):
            "cannot reach the PostgreSQL store at \(url): \(reason). Check store.postgres.url, that the server runs and takes connections "
                + "from here, and the password in the variable store.postgres.password_env names."
        case .newerSchema(let schema, let version, let known):
            "the store's schema \(schema) is at version \(version), newer than this ChatBots knows (\(known)): run a newer ChatBots, "
                + "or use another schema"
        case .readOnly(let location):
            "the PostgreSQL store at \(location) takes no writes (a read-only replica?)"
        case .connectionClosed(let location):
            "the connection to the PostgreSQL store at \(location) closed (the server restarted, or the network dropped); nothing was committed"
        case .timedOut(let location, let limit):
            "a transaction on the PostgreSQL store at \(location) took longer than the lease (\(limit)) and was left unfinished"
        case .fencedOut(let term):
            "term \(term) no longer holds the leader's lease: nothing was written (another runtime leads, or may)"
        case .noStore(let location):
            "there is no ChatBots store at \(location): check store.postgres.schema (a runtime makes it when it first starts)"
        }
    }
}

extension PostgresSection.TLSMode {
    var clientTLS: PostgresClient.Configuration.TLS {
        switch self {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    var connectionTLS: PostgresConnection.Configuration.TLS {
        get throws {
            switch self {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        }
    }
}
