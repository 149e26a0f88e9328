import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL store's tables, as numbered migrations in their own schema. The same
/// tables as the SQLite store's (as its migrations leave them), with PostgreSQL's
/// types; a migration that has shipped is never edited.
///
/// Migrations run in one transaction under a transaction-scoped advisory lock, so two
/// runtimes starting together migrate once, and nothing of a session is relied on (a
/// pooler in transaction mode hands each transaction its own server connection).
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        /// The statements, with `§` for the schema (quoted).
        var sql: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "world, bot state, timers, outbox",
            sql: [
                """
                CREATE TABLE §.chat (
                    id text PRIMARY KEY, client_id text, type text, topic text, status text, curator_id text,
                    opened_at float8, message_count bigint NOT NULL, last_client_message_at float8, last_curator_message_at float8,
                    last_event_at float8, forgotten_at float8)
                """,
                "CREATE INDEX chat_forgotten ON §.chat (last_event_at) WHERE forgotten_at IS NOT NULL",
                "CREATE TABLE §.read_mark (chat_id text, reader_id text, sequence bigint NOT NULL, PRIMARY KEY (chat_id, reader_id))",
                """
                CREATE TABLE §.message (
                    chat_id text, sequence bigint, id text NOT NULL, sender_id text NOT NULL, sender_role text,
                    message_type text NOT NULL, created_at float8, received_at float8 NOT NULL, PRIMARY KEY (chat_id, sequence))
                """,
                """
                CREATE TABLE §.chat_user (
                    id text PRIMARY KEY, role text, presence text, presence_since float8, last_assigned_at float8, topics text)
                """,
                """
                CREATE TABLE §.bot_state (
                    scope text, owner text, bot text, name text, value bytea NOT NULL, PRIMARY KEY (scope, owner, bot, name))
                """,
                "CREATE INDEX bot_state_bot ON §.bot_state (bot)",
                """
                CREATE TABLE §.timer (
                    bot text, name text, kind text NOT NULL, fire_at float8 NOT NULL, chat_id text, payload bytea NOT NULL,
                    PRIMARY KEY (bot, name))
                """,
                "CREATE INDEX timer_chat ON §.timer (chat_id) WHERE chat_id IS NOT NULL",
                """
                CREATE TABLE §.outbox (
                    id bigserial PRIMARY KEY, idempotency_key text NOT NULL UNIQUE, bot text NOT NULL, chat_id text, kind text NOT NULL,
                    action bytea NOT NULL, created_at float8 NOT NULL, attempts bigint NOT NULL DEFAULT 0, next_attempt_at float8 NOT NULL,
                    status text NOT NULL DEFAULT 'pending', settled_at float8, last_error text, expires_at float8)
                """,
                "CREATE INDEX outbox_pending ON §.outbox (id) WHERE status = 'pending'",
                "CREATE INDEX outbox_pending_chat ON §.outbox (chat_id, id) WHERE status = 'pending'",
                "CREATE INDEX outbox_dead ON §.outbox (id) WHERE status = 'dead'",
                "CREATE INDEX outbox_settled ON §.outbox (settled_at) WHERE status != 'pending'",
            ]),
        Migration(
            version: 2, name: "the leader's lease",
            sql: [
                // One row: who leads, under which term, until when. The database issues the
                // terms and judges expiry on its own clock; see LeaderLease.
                """
                CREATE TABLE §.leader_lease (
                    name text PRIMARY KEY, holder text, term bigint NOT NULL DEFAULT 0, expires_at timestamptz, renewed_at timestamptz,
                    taken_at timestamptz)
                """,
                "INSERT INTO §.leader_lease (name) VALUES ('runtime')",
            ]),
    ]

    /// Takes the schema's write lock, an advisory lock held to the end of the
    /// transaction, which migrations and every write of the outbox take: outbox ids then
    /// become visible in the order they were given, which the delivery's forward read
    /// relies on.
    ///
    /// One lock per schema (the two-key form: ``writeLockNamespace`` and the server's
    /// hash of the quoted schema name), so stores that share a database never wait on
    /// each other. A single key for every schema made each store queue behind the
    /// slowest transaction in the database: forty test stores migrating at once on two
    /// cores queued for over ten seconds, past connect deadlines and leases.
    static func writeLock(of quotedSchema: String) -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(\(writeLockNamespace), hashtext(\(quotedSchema)))"
    }

    /// The first key of every schema's write lock: "chat" in ASCII.
    static let writeLockNamespace: Int32 = 0x6368_6174

    /// Whether the schema holds a ChatBots store (its migrations table).
    static func exists(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> Bool {
        var found = false
        let table = "\"\(schema)\".migrations"
        for try await value in try await connection.statement("SELECT to_regclass(\(table)) IS NOT NULL", logger: logger).decode(Bool.self) {
            found = value
        }
        return found
    }

    /// Brings the schema up to date; refuses a schema migrated by a newer version.
    static func migrate(_ connection: PostgresConnection, schema: String, logger: Logger) async throws {
        let quoted = "\"\(schema)\""
        try await connection.statement(writeLock(of: quoted), logger: logger).drain()
        try await connection.statement("CREATE SCHEMA IF NOT EXISTS \(unescaped: quoted)", logger: logger).drain()
        try await connection.statement(
            """
            CREATE TABLE IF NOT EXISTS \(unescaped: quoted).migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger
        ).drain()
        var applied: Set<Int> = []
        for try await version in try await connection.statement("SELECT version FROM \(unescaped: quoted).migrations", logger: logger).decode(
            Int.self)
        {
            applied.insert(version)
        }
        if let newest = applied.max(), let known = migrations.last?.version, newest > known {
            throw PostgresStoreError.newerSchema(schema: schema, version: newest, known: known)
        }
        for migration in migrations where !applied.contains(migration.version) {
            for statement in migration.sql {
                let sql = statement.replacingOccurrences(of: "§", with: quoted)
                try await connection.statement(PostgresQuery(unsafeSQL: sql), logger: logger).drain()
            }
            try await connection.statement(
                "INSERT INTO \(unescaped: quoted).migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger
            ).drain()
            logger.info("store migrated", metadata: ["store.migration": "\(migration.version): \(migration.name)"])
        }
    }
}

extension PostgresConnection {
    /// `query`, refused on a connection already closed: PostgresNIO 1.33 never answers a
    /// statement written to a channel that has just closed (see PostgresStore.execute).
    func statement(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw PostgresStoreError.connectionClosed(location: "the store's database") }
        return try await self.query(query, logger: logger)
    }
}

extension PostgresRowSequence {
    /// Reads and drops every row: a result must be read to its end before the
    /// connection serves the next query.
    func drain() async throws {
        for try await _ in self {}
    }
}
