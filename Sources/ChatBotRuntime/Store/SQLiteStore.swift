import ChatBotKit
import Foundation
import GRDB

/// The ``Store`` in one SQLite file (WAL mode): the world model, the bots' state,
/// pending timers, the outbox and its dead letters.
///
/// Opening it creates the file if needed (readable by its owner only) and runs the
/// migrations. A file that is not a ChatBots database, or is corrupt, is refused with
/// a ``StoreError`` naming it, and left untouched.
public final class SQLiteStore: RuntimeStore {
    /// The database file.
    public let path: String
    public var location: String { path }
    let pool: DatabasePool
    private let encoder = JSONEncoder()
    let decoder = JSONDecoder()
    /// The time actions are settled at: the runtime's clock, which retention's periods
    /// are counted on.
    private let now: @Sendable () -> Date

    /// Opens (or creates) the store at `path`.
    ///
    /// - Parameter now: The clock actions are settled by (the runtime's).
    public convenience init(path: String, now: @escaping @Sendable () -> Date = { Date() }) throws {
        try self.init(path: path, maxPageCount: nil, now: now)
    }

    /// - Parameter maxPageCount: A size limit in pages, for tests that need a full disk.
    init(path: String, maxPageCount: Int?, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.path = path
        self.now = now
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        if let maxPageCount {
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        do {
            try Self.createOwnerOnly(path)
            try Self.refuseUnlessChatBotsStore(path)
            pool = try DatabasePool(path: path, configuration: configuration)
            try StoreMigrations.migrator.migrate(pool)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// Looks at an existing file read-only before anything opens it for writing (which
    /// would migrate it, or checkpoint into it): another program's database, or a
    /// damaged store, must be refused exactly as it was found. A new, empty file passes.
    private static func refuseUnlessChatBotsStore(_ path: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard size > 0 else { return }
        guard let migrations = try recordedMigrations(at: path), migrations.isEmpty || migrations.contains(where: { $0.hasPrefix("v1:") }) else {
            throw StoreError.cannotOpen(path: path, reason: "it is a SQLite database, but not a ChatBots store")
        }
    }

    /// The migrations an existing file records, read without writing: `[]` for a
    /// database with no schema yet, `nil` for one with a schema that is not ours.
    static func recordedMigrations(at path: String) throws -> [String]? {
        var configuration = Configuration()
        configuration.readonly = true
        // Another connection closing (its last checkpoint) or writing holds a lock for a
        // moment: wait for it as the store's own connections do, rather than refuse.
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration).read { db -> [String]? in
            guard try db.tableExists("grdb_migrations") else {
                return try db.schemaVersion() == 0 ? [] : nil
            }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
    }

    /// Bot state and chat records are the business's data: a new store file is created
    /// owner-only before SQLite opens it, and SQLite gives its WAL and shared-memory
    /// files the same mode, so no copy of the data is ever readable by others.
    private static func createOwnerOnly(_ path: String) throws {
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            try? FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).close()
        } else if errno != EEXIST {
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads everything the engine keeps in memory. Rows are read through cursors, not
    /// fetched into arrays first: a hundred thousand transient rows interleaved with
    /// the records kept would leave the heap too fragmented to hand back.
    public func load() async throws -> StoreSnapshot {
        try await load(withState: true)
    }

    /// Everything ``load()`` reads but the chats' bot state: the engine reads a chat's
    /// keys when the chat is active (``chatState(of:)``).
    public func loadWithoutChatState() async throws -> StoreSnapshot {
        try await load(withState: false)
    }

    public func chatState(of chat: ChatID) async throws -> [StoredBotState] {
        try await pool.read { db in try BotStateRows.chat(chat, in: db) }
    }

    public func chatStateNow(of chat: ChatID) throws -> [StoredBotState] {
        try pool.read { db in try BotStateRows.chat(chat, in: db) }
    }

    public func storedStates(bot: String) async throws -> [StoredBotState] {
        try await pool.read { db in try BotStateRows.all(of: bot, in: db) }
    }

    private func load(withState: Bool) async throws -> StoreSnapshot {
        try await pool.read { db in
            var snapshot = StoreSnapshot()
            snapshot.chats = try WorldTables.chats(in: db)
            snapshot.users = try WorldTables.users(in: db)
            snapshot.botState = try BotStateRows.loaded(withChats: withState, in: db)
            let timers = try Row.fetchCursor(db, sql: "SELECT bot, name, kind, fire_at, chat_id, payload FROM timer")
            while let row = try timers.next() {
                let chat: String? = row[4]
                let payload: Data = row[5]
                let request = TimerRequest(
                    name: row[1], kind: row[2], fireAt: Date(timeIntervalSince1970: row[3]), chatID: chat.map { ChatID($0) }, payload: Array(payload)
                )
                snapshot.timers.append(StoredTimer(bot: row[0], request: request))
            }
            return snapshot
        }
    }

    public func commit(_ commits: [Commit]) async throws {
        try await pool.write { db in
            for commit in commits {
                try self.write(commit, in: db)
            }
            let last = LastRecords(commits)
            for chat in last.chats.values { try WorldTables.write(chat, in: db) }
            for user in last.users.values { try WorldTables.write(user, in: db) }
            for (chat, at) in last.forgotten {
                // A chat that never recorded its last event counts from when it was forgotten.
                try db.cachedStatement(sql: "UPDATE chat SET forgotten_at = ?1, last_event_at = COALESCE(last_event_at, ?1) WHERE id = ?2")
                    .execute(arguments: [at.timeIntervalSinceReferenceDate, chat.rawValue])
            }
        }
    }

    private func write(_ commit: Commit, in db: Database) throws {
        for chat in commit.chatsForgotten {
            try WorldTables.forget(chat.chatID, in: db)
        }
        for key in commit.messagesRemoved {
            try WorldTables.remove(key, in: db)
        }
        for message in commit.messages {
            try WorldTables.write(message, in: db)
        }
        for write in commit.stateWrites {
            try BotStateRows.write(write, in: db)
        }
        for key in commit.timersRemoved {
            try db.cachedStatement(sql: "DELETE FROM timer WHERE bot = ? AND name = ?").execute(arguments: [key.bot, key.name])
        }
        for timer in commit.timersScheduled {
            let request = timer.request
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO timer (bot, name, kind, fire_at, chat_id, payload) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [
                    timer.bot, request.name, request.kind, request.fireAt.timeIntervalSince1970, request.chatID?.rawValue, Data(request.payload),
                ])
        }
        try insert(commit.actions, in: db)
    }

    /// Adds actions to the outbox, in order: their ids are their commit order.
    private func insert(_ actions: [OutboxEntry], in db: Database) throws {
        for entry in actions {
            try db.cachedStatement(
                sql: """
                    INSERT INTO outbox (idempotency_key, bot, chat_id, kind, action, created_at, attempts, next_attempt_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            .execute(arguments: [
                entry.idempotencyKey, entry.bot, entry.action.chatID?.rawValue, entry.action.kind,
                try encoder.encode(entry.action), entry.createdAt.timeIntervalSince1970, entry.attempts,
                entry.nextAttemptAt.timeIntervalSince1970, entry.expiresAt?.timeIntervalSince1970,
            ])
        }
    }

    public func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.outboxColumns) FROM outbox WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?
                        """), arguments: [id, limit]
            ).map(self.outboxEntry)
        }
    }

    public func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.outboxColumns) FROM outbox
                        WHERE status = 'pending' AND chat_id = ? AND id BETWEEN ? AND ? AND (kind = 'alert') = ?
                        ORDER BY id LIMIT ?
                        """), arguments: [chat.rawValue, ids.lowerBound, ids.upperBound, alerts, limit]
            ).map(self.outboxEntry)
        }
    }

    public func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        let now = now().timeIntervalSince1970
        try await pool.write { db in
            switch outcome {
            case .delivered:
                try db.cachedStatement(
                    sql: "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, settled_at = ?, last_error = NULL WHERE id = ?"
                ).execute(arguments: [now, id])
            case .retry(let date, let reason):
                try db.cachedStatement(
                    sql: "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?"
                ).execute(arguments: [date.timeIntervalSince1970, reason, id])
            case .deadLetter(let reason):
                try db.cachedStatement(
                    sql: "UPDATE outbox SET status = 'dead', attempts = attempts + 1, settled_at = ?, last_error = ? WHERE id = ?"
                ).execute(arguments: [now, reason, id])
            case .expired(let reason):
                // Not an attempt: nothing was sent.
                try db.cachedStatement(
                    sql: "UPDATE outbox SET status = 'expired', settled_at = ?, last_error = ? WHERE id = ?"
                ).execute(arguments: [now, reason, id])
            }
            if let followUp {
                try self.insert([followUp], in: db)
            }
        }
    }

    /// Actions the backend refused for good, with the reason, oldest first.
    public func deadLetters() async throws -> [(entry: OutboxEntry, reason: String)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.outboxColumns), last_error FROM outbox
                    WHERE status = 'dead' ORDER BY id
                    """
            ).map { row in (try self.outboxEntry(row), row["last_error"] ?? "") }
        }
    }

    public func deleteSettledActions(_ kind: SettledActions, settledBefore date: Date, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        let sql =
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status != 'pending' AND settled_at < ? "
            + "AND status IN (\(kind.statuses)) ORDER BY settled_at LIMIT ?)"
        return try await pool.write { db in
            try db.execute(sql: sql, arguments: [date.timeIntervalSince1970, limit])
            return db.changesCount
        }
    }

    public func deleteForgottenChats(quietBefore date: Date, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        return try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM chat WHERE id IN (
                        SELECT id FROM chat WHERE forgotten_at IS NOT NULL AND last_event_at < ? ORDER BY last_event_at LIMIT ?)
                    """,
                arguments: [date.timeIntervalSinceReferenceDate, limit]
            )
            return db.changesCount
        }
    }

    public func outboxCounts() async throws -> OutboxCounts {
        try await pool.read { db in
            // Counts over the index, not one pass over every row ever sent; ids grow
            // with commits, so the lowest pending id is the oldest pending action.
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending') AS pending,
                           (SELECT COUNT(*) FROM outbox WHERE status = 'dead') AS dead,
                           (SELECT created_at FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1) AS oldest
                    """)
            let oldest: Double? = row?["oldest"]
            return OutboxCounts(
                pending: row?["pending"] ?? 0, dead: row?["dead"] ?? 0, oldestPendingCreatedAt: oldest.map(Date.init(timeIntervalSince1970:)))
        }
    }

    /// Takes the database's write lock and lets it go, writing nothing. Waits as long
    /// as a commit would when another process holds the lock; throws what SQLite says.
    public func checkWritable() async throws {
        try await pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) { .commit }
        }
    }

    /// Nothing to let go of: the pool closes its connections when the store goes.
    public func close() async {}

    /// The `PRAGMA` values that matter for durability, for checks and tests.
    public func journalSettings() async throws -> (journalMode: String, synchronous: Int) {
        try await pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }

    func outboxEntry(_ row: Row) throws -> OutboxEntry {
        OutboxEntry(
            id: row["id"], idempotencyKey: row["idempotency_key"], bot: row["bot"],
            action: try decoder.decode(BotAction.self, from: row["action"] as Data),
            createdAt: Date(timeIntervalSince1970: row["created_at"]), attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]),
            expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }

    /// The columns ``outboxEntry(_:)`` reads.
    static let outboxColumns = "id, idempotency_key, bot, action, created_at, attempts, next_attempt_at, expires_at"

}

/// Why the store could not be used.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened as a ChatBots store: missing folder, no permission,
    /// not a SQLite database, corrupt, or from a newer version.
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the store at \(path): \(reason). The file was left as it is."
        }
    }
}
