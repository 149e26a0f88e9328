import ChatBotKit
import ChatBotTesting
import Foundation
import PostgresNIO
import Synchronization
import Testing

@testable import ChatBotRuntime

/// What only the PostgreSQL store has to show: its batches, its errors, its migrations
/// and its outbox under concurrent writers. (What both stores guarantee runs on both:
/// `SQLiteStoreTests`, `StoreInspectionTests`, `RetentionTests`.)
@Suite("The PostgreSQL store, on a real server", .enabled(if: TestPostgres.isEnabled), .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    private let start = Date(timeIntervalSinceReferenceDate: 800_000_000)

    private func chat(_ id: ChatID, messages: [MessageID] = [], readBy reader: UserID? = nil) -> ChatRecord {
        var chat = ChatRecord(id: id)
        chat.clientID = UserID("client-\(id)")
        chat.openedAt = start
        chat.lastEventAt = start.addingTimeInterval(5)
        for (index, message) in messages.enumerated() {
            chat.messages.append(
                MessageRecord(
                    id: message, senderID: UserID("client-\(id)"), senderRole: .client, messageType: .text, sequence: Int64(index + 1),
                    createdAt: start.addingTimeInterval(-1), receivedAt: start
                ))
        }
        chat.messageCount = Int64(messages.count)
        if let reader { chat.readUpTo[reader] = chat.messageCount }
        return chat
    }

    private func state(_ scope: StateScope, _ name: String, _ value: String?) -> StoredBotState {
        StoredBotState(key: StoredStateKey(bot: "b", scope: scope, name: name), data: value.map { Data($0.utf8) })
    }

    private func timer(_ name: String, chat: ChatID?, at offset: TimeInterval) -> StoredTimer {
        StoredTimer(bot: "b", request: TimerRequest(name: name, kind: "k", fireAt: start.addingTimeInterval(offset), chatID: chat))
    }

    private func action(_ key: String, chat: ChatID) -> OutboxEntry {
        OutboxEntry(idempotencyKey: key, bot: "b", action: .sendMessage(chatID: chat, text: key), createdAt: start, nextAttemptAt: start)
    }

    /// Commits whose keys overwrite each other within one batch: a message removed then
    /// written, a key written then deleted, a chat forgotten that comes back, a chat
    /// written then forgotten, a timer scheduled, removed and scheduled again.
    private func overlappingBatch() -> (before: [Commit], batch: [Commit]) {
        var before = Commit()
        before.chats = [chat("y", messages: ["y1", "y2"], readBy: "curator-1"), chat("z"), chat("w")]
        before.messages = ["y1", "y2"].enumerated().map {
            StoredMessage(chatID: "y", message: chat("y", messages: ["y1", "y2"]).messages[$0.offset])
        }
        before.stateWrites = [state(.chat("y"), "k", "1"), state(.chat("z"), "k", "1")]
        before.timersScheduled = [timer("t.y", chat: "y", at: 60), timer("t.z", chat: "z", at: 60), timer("moving", chat: "w", at: 60)]

        var first = Commit()
        let x = chat("x", messages: ["m1", "m2"])
        first.chats = [x]
        first.users = [UserRecord(id: "curator-1", role: .curator)]
        first.messages = x.messages.map { StoredMessage(chatID: "x", message: $0) }
        first.stateWrites = [state(.chat("x"), "k", "1"), state(.user("client-x"), "last", "\"curator-1\"")]
        first.timersScheduled = [timer("t1", chat: "x", at: 10)]
        first.actions = [action("a1", chat: "x")]
        var second = Commit()
        var x2 = x
        x2.messages.removeFirst()
        x2.readUpTo["curator-1"] = 2
        second.chats = [x2]
        second.messagesRemoved = [MessageKey(chatID: "x", sequence: 1)]
        second.stateWrites = [state(.chat("x"), "k", nil), state(.bot, "g", "2")]
        second.timersRemoved = [TimerKey(bot: "b", name: "t1")]
        second.timersScheduled = [timer("t2", chat: nil, at: 20)]
        second.actions = [action("a2", chat: "x"), action("a3", chat: "x")]
        var third = Commit()
        third.chatsForgotten = [ForgottenChat(chatID: "y", at: start.addingTimeInterval(100))]
        var fourth = Commit()
        let y = chat("y", messages: ["y9"])
        fourth.chats = [y]
        fourth.messages = y.messages.map { StoredMessage(chatID: "y", message: $0) }
        fourth.stateWrites = [state(.chat("y"), "k", "3")]
        // A stored timer moved onto a chat that is then forgotten goes with that chat.
        fourth.timersScheduled = [timer("moving", chat: "z", at: 90)]
        var fifth = Commit()
        fifth.chatsForgotten = [ForgottenChat(chatID: "z", at: start.addingTimeInterval(200))]
        var sixth = Commit()
        sixth.timersScheduled = [timer("t2", chat: nil, at: 30)]
        sixth.stateWrites = [state(.bot, "g", "4")]
        sixth.actions = [action("a4", chat: "y")]
        return ([before], [first, second, third, fourth, fifth, sixth])
    }

    /// The batch is written as a dozen set-wise statements; it must leave exactly what
    /// SQLite leaves, which applies the commits one by one.
    @Test(arguments: [StoreKind.postgres, .pgbouncer]) func aBatchLeavesWhatItsCommitsOneByOneLeaveInSQLite(kind: StoreKind) async throws {
        let (before, batch) = overlappingBatch()
        try await StoreSite.with(.sqlite) { sqliteSite in
            try await StoreSite.with(kind) { postgresSite in
                let sqlite = try await sqliteSite.open()
                let postgres = try await postgresSite.open()
                for store in [sqlite, postgres] as [any RuntimeStore] {
                    try await store.commit(before)
                    try await store.commit(batch)
                }
                let expected = try await sqlite.load()
                let found = try await postgres.load()
                #expect(Set(found.chats) == Set(expected.chats))
                #expect(Set(found.users) == Set(expected.users))
                #expect(Set(found.botState) == Set(expected.botState))
                #expect(Set(found.timers) == Set(expected.timers))
                #expect(try await postgres.pendingActions(after: 0, limit: 10) == (try await sqlite.pendingActions(after: 0, limit: 10)))
                var summary = try await postgres.summary()
                #expect(summary.lease == LeaseState(holder: nil, term: 0), "no runtime has led yet")
                summary.lease = nil
                #expect(summary == (try await sqlite.summary()))
                // And what that is, spelled out.
                #expect(found.chats.map(\.id).sorted() == ["w", "x", "y"], "z ends forgotten; y came back")
                #expect(found.chats.first { $0.id == "y" }?.messages.map(\.id) == ["y9"], "nothing of y's first life")
                #expect(found.chats.first { $0.id == "x" }?.messages.map(\.id) == ["m2"])
                #expect(found.chats.first { $0.id == "x" }?.readUpTo == ["curator-1": 2])
                #expect(Set(found.botState.map(\.key.description)) == ["chat:y:k", "user:client-x:last", "g"])
                #expect(found.timers.map(\.request.name) == ["t2"])
                #expect(found.timers.first?.request.fireAt == start.addingTimeInterval(30))
                #expect(try await postgres.pendingActions(after: 0, limit: 10).map(\.idempotencyKey) == ["a1", "a2", "a3", "a4"])
            }
        }
    }

    /// PostgreSQL text holds no NUL byte; a response body may (a gzip error page). The
    /// settlement keeps the reason without it instead of failing on every attempt.
    @Test func aReasonWithANulByteIsKeptWithoutIt() async throws {
        try await StoreSite.with(.postgres) { site in
            let store = try await site.open()
            var commit = Commit()
            commit.actions = [action("k", chat: "1")]
            try await store.commit([commit])
            let id = try #require(try await store.pendingActions(after: 0, limit: 1).first?.id)
            try await store.settle(id, as: .deadLetter(reason: "HTTP 400 \u{1F}\u{8B}\u{0}\u{0}gz"))
            #expect(try await store.deadLetterList().map(\.reason) == ["HTTP 400 \u{1F}\u{8B}gz"])
        }
    }

    @Test func anUnreachableDatabaseIsNamedWithItsHostAndNeverThePassword() async throws {
        var section = try TestPostgres.section()
        section.url.port = 1
        section.connectTimeout = 3
        let error = await #expect(throws: PostgresStoreError.self) {
            try await PostgresStore.open(section, password: "s3cret-pw", logger: quietLogger)
        }
        let text = "\(try #require(error))"
        #expect(text.contains("postgres://\(section.username)@\(section.host):1/\(section.database)"), "\(text)")
        #expect(!text.contains("s3cret-pw"))
    }

    @Test func aWrongPasswordSaysWhatTheServerSaid() async throws {
        let section = try TestPostgres.section()
        let error = await #expect(throws: PostgresStoreError.self) {
            try await PostgresStore.open(section, password: "not-the-password", logger: quietLogger)
        }
        let text = "\(try #require(error))"
        #expect(text.contains("password authentication failed"), "\(text)")
        #expect(!text.contains("not-the-password"))
    }

    @Test func twoRuntimesStartingTogetherMigrateOnceAndANewerSchemaIsRefused() async throws {
        try await StoreSite.with(.postgres) { site in
            async let first = site.open()
            async let second = site.open()
            let store = try #require(try await [first, second].first as? PostgresStore)
            var versions: [Int] = []
            for try await version in try await store.client.query(
                "SELECT version FROM \(unescaped: store.schema).migrations ORDER BY version"
            ).decode(Int.self) {
                versions.append(version)
            }
            #expect(versions == PostgresSchema.migrations.map(\.version))

            try await store.client.query("INSERT INTO \(unescaped: store.schema).migrations (version, name) VALUES (999, 'from the future')").drain()
            await #expect(throws: PostgresStoreError.newerSchema(schema: site.name, version: 999, known: PostgresSchema.migrations.count)) {
                try await site.open()
            }
        }
    }

    /// A handler reads a quiet chat's keys synchronously, on the engine's own thread.
    @Test func aChatsKeysAreReadSynchronouslyFromAThreadOfItsOwn() async throws {
        try await StoreSite.with(.postgres) { site in
            let store = try await site.open()
            var commit = Commit()
            commit.stateWrites = [state(.chat("q"), "k", "7"), state(.chat("qq"), "k", "8")]
            try await store.commit([commit])
            let read = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[StoredBotState], any Error>) in
                Thread { continuation.resume(with: Result { try store.chatStateNow(of: "q") }) }.start()
            }
            #expect(read == [state(.chat("q"), "k", "7")])
        }
    }

    /// Commits and settlements that add follow-ups race; a reader going forward from the
    /// last id it saw (as delivery does) must still see every row.
    @Test func outboxIdsBecomeVisibleInOrderUnderConcurrentWriters() async throws {
        try await StoreSite.with(.postgres) { site in
            let store = try await site.open()
            var seed = Commit()
            seed.actions = (0..<40).map { action("seed-\($0)", chat: "s") }
            try await store.commit([seed])
            let seeded = try await store.pendingActions(after: 0, limit: 100).compactMap(\.id)
            final class Progress: Sendable {
                let writing = Mutex(true)
                let seen = Mutex<Set<String>>([])
            }
            let progress = Progress()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var cursor: Int64 = 0
                    while true {
                        let stillWriting = progress.writing.withLock { $0 }
                        let rows = try await store.pendingActions(after: cursor, limit: 1_000)
                        progress.seen.withLock { $0.formUnion(rows.map(\.idempotencyKey)) }
                        cursor = rows.last?.id ?? cursor
                        if !stillWriting && rows.isEmpty { return }
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    for index in 0..<40 {
                        writers.addTask {
                            var commit = Commit()
                            commit.actions = [action("commit-\(index)", chat: "c")]
                            try await store.commit([commit])
                        }
                        writers.addTask {
                            let followUp = action("follow-\(index)", chat: "f")
                            try await store.settle(seeded[index], as: .deadLetter(reason: "gave up"), followUp: followUp)
                        }
                    }
                    try await writers.waitForAll()
                }
                progress.writing.withLock { $0 = false }
                try await group.waitForAll()
            }
            let pending = Set(try await store.pendingActions(after: 0, limit: 1_000).map(\.idempotencyKey))
            #expect(pending.count == 80)
            #expect(pending.subtracting(progress.seen.withLock { $0 }).isEmpty, "a forward reader missed rows that became visible behind it")
        }
    }

    /// Each schema has a write lock of its own: a store whose outbox writer is held up
    /// holds up its own schema's writers only, never a store in another schema of the
    /// same database. (With one lock for the whole database, the suite's forty stores
    /// queued behind each other for over ten seconds: connects and leases ran out.)
    @Test func aSchemasWriteLockHoldsUpThatSchemaOnly() async throws {
        try await StoreSite.with(.postgres) { busySite in
            try await StoreSite.with(.postgres) { otherSite in
                let busy = try #require(try await busySite.open() as? PostgresStore)
                let other = try await otherSite.open()
                @Sendable func commit(_ key: String) -> [Commit] {
                    var commit = Commit()
                    commit.actions = [action(key, chat: "c")]
                    return [commit]
                }
                try await busy.client.withConnection { holder in
                    try await holder.query("BEGIN", logger: quietLogger).drain()
                    try await holder.query(PostgresSchema.writeLock(of: busy.schema), logger: quietLogger).drain()
                    var pids: [Int32] = []
                    for try await pid in try await holder.query("SELECT pg_backend_pid()", logger: quietLogger).decode(Int32.self) {
                        pids.append(pid)
                    }
                    let holderPID = try #require(pids.first)

                    @Sendable func heldUpByTheHolder() async throws -> Int {
                        var waiting = 0
                        try await busy.client.withConnection { probe in
                            for try await count in try await probe.query(
                                "SELECT count(*)::int4 FROM pg_stat_activity WHERE \(holderPID) = ANY(pg_blocking_pids(pid))", logger: quietLogger
                            ).decode(Int32.self) { waiting = Int(count) }
                        }
                        return waiting
                    }

                    // Another schema's commit goes through; were the lock shared, it would
                    // wait on the holder, and the test says so rather than hang.
                    let elsewhere = Task { try await other.commit(commit("elsewhere")) }
                    @Sendable func landedElsewhere() async throws -> Bool { try await !other.pendingActions(after: 0, limit: 10).isEmpty }
                    try await eventually("the other schema's commit to land or to wait") {
                        if try await landedElsewhere() { return true }
                        return try await heldUpByTheHolder() > 0
                    }
                    #expect(try await landedElsewhere(), "a commit in another schema waited on this schema's write lock")

                    // This schema's commit waits for the lock.
                    let heldUp = Task { try await busy.commit(commit("held-up")) }
                    try await eventually("the busy schema's commit to wait on the lock") { try await heldUpByTheHolder() >= 1 }
                    try await holder.query("ROLLBACK", logger: quietLogger).drain()
                    try await within(.seconds(60), "the held-up commit, once the lock is let go") { try await heldUp.value }
                    try await within(.seconds(60), "the other schema's commit") { try await elsewhere.value }
                }
                #expect(try await other.pendingActions(after: 0, limit: 10).map(\.idempotencyKey) == ["elsewhere"])
                #expect(try await busy.pendingActions(after: 0, limit: 10).map(\.idempotencyKey) == ["held-up"])
            }
        }
    }
}
