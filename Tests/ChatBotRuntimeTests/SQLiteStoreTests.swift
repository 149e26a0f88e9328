import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import GRDB
import Synchronization
import Testing

/// Writes a note per message into one state key per chat, and schedules a follow-up.
struct LedgerBot: Bot {
    let name = "ledger"
    static func seen(_ chat: ChatID) -> StateKey<[String]> { .chat(chat, "seen") }
    /// Carries the message it follows up.
    static let followUp = TimerKind<MessageID>("follow-up")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        var seen = context.state(Self.seen(message.chatID)) ?? []
        seen.append(message.id.rawValue)
        context.set(Self.seen(message.chatID), to: seen)
        context.send("noted \(message.id)", to: message.chatID)
        context.schedule(Self.followUp, after: .seconds(900), chat: message.chatID, payload: message.id)
    }

    func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
        guard let chat = timer.chatID else { return }
        context.alert(Alert(text: "no answer in \(chat)\(timer.isLate ? " (late)" : "")", chatID: chat))
    }
}

/// A fresh folder for one test's database, removed afterwards.
func withTemporaryFolder<T>(_ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(folder)
}

private func message(_ id: MessageID, in chat: ChatID, from sender: UserID) -> ChatEvent {
    .newMessage(ChatMessage(id: id, senderID: sender, chatID: chat, text: "hi", createdAt: nil))
}

@Suite("The store, on a real SQLite file and a real PostgreSQL database", .timeLimit(.minutes(2)))
struct SQLiteStoreTests {
    @Test(arguments: StoreKind.available) func aRestartFindsTheWorldTheStateTheTimersAndTheOutbox(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let clock = VirtualClock()
            try await withRunningEngine(bots: [LedgerBot()], store: try await site.open(), clock: clock) { engine in
                engine.submit(.newChat(.init(clientID: "client-1", chatID: "c1", chatType: .topic)), receivedAt: clock.now())
                engine.submit(message("1", in: "c1", from: "client-1"), receivedAt: clock.now())
                engine.submit(message("2", in: "c1", from: "client-1"), receivedAt: clock.now())
                await engine.waitUntilIdle()
            }
            let reopened = try await site.open()
            let pending = try await reopened.pendingActions(after: 0, limit: 10)
            #expect(pending.map(\.action) == [.sendMessage(chatID: "c1", text: "noted 1"), .sendMessage(chatID: "c1", text: "noted 2")])
            try await withRunningEngine(bots: [LedgerBot()], store: reopened, clock: clock) { engine in
                let chat = try #require(engine.worldModel.chats["c1"])
                #expect(chat.clientID == "client-1")
                #expect(chat.type == .topic)
                #expect(chat.messages.map(\.id) == ["1", "2"])
                #expect(engine.worldModel.role(of: "client-1") == .client)
                #expect(try await engine.state(of: "ledger")[LedgerBot.seen("c1").stored(by: "ledger")] == Data(#"["1","2"]"#.utf8))
                #expect(engine.pendingTimers[TimerKey(bot: "ledger", name: "follow-up.c1")]?.payload == Array(#""2""#.utf8))
            }
            // The idempotency keys are the ones committed the first time.
            let again = try await site.open().pendingActions(after: 0, limit: 10)
            #expect(again.map(\.idempotencyKey) == pending.map(\.idempotencyKey))
        }
    }

    @Test(arguments: StoreKind.available) func aTimerDueWhileStoppedFiresOnStartMarkedLate(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let clock = VirtualClock()
            try await withRunningEngine(bots: [LedgerBot()], store: try await site.open(), clock: clock) { engine in
                engine.submit(message("1", in: "c1", from: "client-1"), receivedAt: clock.now())
                await engine.waitUntilIdle()
            }
            clock.advance(by: .seconds(3_600))
            let store = try await site.open()
            try await withRunningEngine(bots: [LedgerBot()], store: store, clock: clock) { engine in
                await engine.fireDueTimers()
                #expect(engine.pendingTimers.isEmpty)
            }
            let actions = try await store.pendingActions(after: 0, limit: 10).map(\.action)
            #expect(actions.last == .alert(Alert(text: "no answer in c1 (late)", chatID: "c1")))
            let reloaded = try await site.open().load()
            #expect(reloaded.timers.isEmpty, "the fired timer's removal was committed")
        }
    }

    /// A loaded timer keeps its payload as stored JSON until it fires; a payload a
    /// damaged store can no longer parse fails only its own handler, not the others.
    @Test func loadedTimersFireWithTheirPayloadAndADamagedOneFailsAlone() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            let clock = VirtualClock()
            try await withRunningEngine(bots: [LedgerBot()], store: try SQLiteStore(path: path), clock: clock) { engine in
                engine.submit(message("1", in: "c1", from: "client-1"), receivedAt: clock.now())
                engine.submit(message("2", in: "c2", from: "client-2"), receivedAt: clock.now())
                await engine.waitUntilIdle()
            }
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: "UPDATE timer SET payload = ? WHERE name = 'follow-up.c2'", arguments: [Data("{not json".utf8)])
            }
            clock.advance(by: .seconds(3_600))
            let fired = Mutex<[String]>([])
            struct PayloadReader: Bot {
                let name = "ledger"
                let fired: @Sendable (String) -> Void

                func handle(_ event: ChatEvent, in context: BotContext) throws {}

                func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
                    fired("\(timer.name): \(try timer.payload(LedgerBot.followUp).map { "\($0)" } ?? "another kind")")
                }
            }
            let reader = PayloadReader { line in fired.withLock { $0.append(line) } }
            try await withRunningEngine(bots: [reader], store: try SQLiteStore(path: path), clock: clock) { engine in
                #expect(engine.pendingTimers[TimerKey(bot: "ledger", name: "follow-up.c1")]?.kind == "follow-up")
                await engine.fireDueTimers()
                #expect(engine.statistics.handlerFailures == ["ledger": 1])
                #expect(engine.pendingTimers.isEmpty)
            }
            #expect(fired.withLock { $0 } == ["follow-up.c1: 1"])
        }
    }

    @Test(arguments: StoreKind.available) func deliveryOutcomesAreKept(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try await site.open()
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            var commit = Commit()
            for index in 1...4 {
                commit.actions.append(
                    OutboxEntry(
                        idempotencyKey: "key-\(index)", bot: "b", action: .sendMessage(chatID: "c", text: "\(index)"),
                        createdAt: now, nextAttemptAt: now, expiresAt: index == 4 ? now.addingTimeInterval(900) : nil
                    ))
            }
            try await store.commit([commit])
            let pending = try await store.pendingActions(after: 0, limit: 10)
            #expect(pending.map(\.idempotencyKey) == ["key-1", "key-2", "key-3", "key-4"])
            #expect(pending.last?.expiresAt == now.addingTimeInterval(900), "the expiry is kept")
            let ids = pending.compactMap(\.id)
            try await store.settle(ids[0], as: .delivered)
            try await store.settle(ids[1], as: .retry(at: now.addingTimeInterval(30), reason: "HTTP 503"))
            let givenUp = OutboxEntry(
                idempotencyKey: "key-3-given-up", bot: "b", action: .alert(Alert(text: "gave up", chatID: "c")),
                createdAt: now, nextAttemptAt: now
            )
            try await store.settle(ids[2], as: .deadLetter(reason: #"HTTP 400 {"text": ["This field is required."]}"#), followUp: givenUp)
            try await store.settle(ids[3], as: .expired(reason: "expired unsent"))
            let left = try await store.pendingActions(after: 0, limit: 10)
            #expect(left.map(\.idempotencyKey) == ["key-2", "key-3-given-up"], "the follow-up alert is added with the settlement")
            #expect(left.first?.attempts == 1)
            #expect(left.first?.nextAttemptAt == now.addingTimeInterval(30))
            #expect(try await store.pendingActions(after: ids[1], limit: 10).map(\.idempotencyKey) == ["key-3-given-up"])
            let chatQueue = try await store.pendingActions(of: "c", alerts: false, in: 1...100, limit: 10)
            #expect(chatQueue.map(\.idempotencyKey) == ["key-2"])
            let alertQueue = try await store.pendingActions(of: "c", alerts: true, in: 1...100, limit: 10)
            #expect(alertQueue.map(\.idempotencyKey) == ["key-3-given-up"])
            #expect(try await store.pendingActions(of: "c", alerts: false, in: (ids[1] + 1)...100, limit: 10).isEmpty)
            let dead = try await store.deadLetterList()
            #expect(dead.map(\.action) == [.sendMessage(chatID: "c", text: "3"), .sendMessage(chatID: "c", text: "4")])
            #expect(dead.first?.reason.contains("This field is required.") == true)
            #expect(dead.map(\.expired) == [false, true], "the expired one is listed, marked so")
            #expect(try await store.pendingActionCount() == 2)
        }
    }

    @Test func theFileIsInWALModeAndReadableByItsOwnerOnly() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            let store = try SQLiteStore(path: path)
            let settings = try await store.journalSettings()
            #expect(settings.journalMode == "wal")
            // The WAL and shared-memory files hold the same data: owner-only too.
            try await commitWelcomes(["1"], store: store)
            for file in [path, path + "-wal", path + "-shm"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: file)
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file)")
            }
        }
    }

    @Test func aFileThatIsNotAStoreIsRefusedAndLeftAlone() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("notes.sqlite").path
            let content = Data(String(repeating: "these are my notes, not a database\n", count: 200).utf8)
            try content.write(to: URL(fileURLWithPath: path))
            #expect {
                try SQLiteStore(path: path)
            } throws: { error in
                guard case StoreError.cannotOpen(let failing, _) = error else { return false }
                return failing == path && "\(error)".contains(path)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        }
    }
}
