import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Logging
import Testing

/// Runs an emulator on a free port for the duration of `body`.
func withEmulator<T: Sendable>(
    _ configuration: EmulatorConfiguration = EmulatorConfiguration(),
    _ body: @Sendable (Emulator, Int) async throws -> T
) async throws -> T {
    try await Emulator.withRunning(configuration, body)
}

/// A token fetched from the emulator's token endpoint, as a runtime would.
func emulatorToken(port: Int) async throws -> String {
    var request = OutgoingRequest(method: "POST", url: "http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token")
    request.headers["Content-Type"] = "application/x-www-form-urlencoded"
    request.body = Data("grant_type=client_credentials&client_id=chatbots&client_secret=chatbots-secret".utf8)
    let answer = try await AsyncHTTPTransport().perform(request)
    let json = try JSONDecoder().decode(JSONValue.self, from: answer.body)
    return try #require(json["access_token"]?.stringValue)
}

/// Hands out a bad token first, then good ones; counts invalidations.
actor FlakyTokens: TokenProvider {
    private var bad = true
    private let good: String
    private(set) var invalidations = 0

    init(good: String) {
        self.good = good
    }

    func token() async throws -> String {
        bad ? "expired-token" : good
    }

    func invalidate() async {
        invalidations += 1
        bad = false
    }
}

/// Sends one message per new chat.
struct WelcomeBot: Bot {
    let name = "welcome"

    func handle(_ event: ChatEvent, in context: BotContext) throws {
        guard case .newChat(let chat) = event else { return }
        context.send("Welcome to chat \(chat.chatID)", to: chat.chatID)
    }
}

private let fastRetries = RetryPolicy(base: .milliseconds(10), cap: .milliseconds(50))

/// A delivery to the emulator on `port`, retrying fast, with this request timeout.
func delivery(
    store: any Store, port: Int, tokens: any TokenProvider, webhook: Bool = false, timeout: Duration = .seconds(10)
) -> OutboxDelivery {
    OutboxDelivery(
        store: store, transport: AsyncHTTPTransport(timeout: timeout), tokens: tokens,
        configuration: .init(
            apiBaseURL: "http://127.0.0.1:\(port)", alerts: AlertSink(webhookURL: webhook ? "http://127.0.0.1:\(port)/hooks/alerts" : nil),
            retry: fastRetries, pollInterval: .milliseconds(20)
        ),
        logger: quietLogger, random: { 1 }
    )
}

/// Commits one welcome message per chat id through a real engine and SQLite file, on
/// the wall clock the delivery judges ages and expiry by.
func commitWelcomes(_ chats: [ChatID], store: any Store) async throws {
    try await withRunningEngine(bots: [WelcomeBot()], store: store, clock: SystemClock()) { engine in
        for chat in chats {
            engine.submit(.newChat(.init(clientID: UserID("client-\(chat)"), chatID: chat, chatType: .order)), receivedAt: Date())
        }
        await engine.waitUntilIdle()
    }
}

@Suite("Delivering the outbox to a live backend", .timeLimit(.minutes(2)))
struct OutboxDeliveryTests {
    @Test func throughTwo500sAndA429TheActionArrivesAndIsAppliedOnce() async throws {
        let faults = FaultCommand(failActions: .init(count: 2, status: 500))
        try await withEmulator(EmulatorConfiguration(faults: faults)) { emulator, port in
            emulator.apply(FaultCommand(failActions: .init(count: 1, status: 429, retryAfter: 1)))
            try await withTemporaryFolder { folder in
                let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
                let chat = emulator.openChat(client: "client-1")
                try await commitWelcomes([chat], store: store)
                let outbox = delivery(store: store, port: port, tokens: StaticTokenProvider(token: try await emulatorToken(port: port)))
                await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await outbox.run() }
                    await outbox.waitUntil { $0.delivered == 1 }
                    group.cancelAll()
                }
                let actions = emulator.record.actions
                #expect(actions.map(\.outcome) == [.injectedFailure, .injectedFailure, .injectedFailure, .applied])
                #expect(actions.map(\.status) == [500, 500, 429, 201])
                #expect(Set(actions.compactMap(\.idempotencyKey)).count == 1, "every attempt carries the same key")
                #expect(actions.last?.body["text"] == .string("Welcome to chat \(chat)"))
                // The 429 asked for a second: the next attempt waited for it.
                let waited = actions[3].receivedAt.timeIntervalSince(actions[2].receivedAt)
                #expect(waited >= 0.95)
                #expect(try await store.pendingActionCount() == 0)
            }
        }
    }

    @Test func aPassWithADeadlineLeavesWhatItHadNoTimeForInTheOutbox() async throws {
        try await withEmulator { emulator, port in
            let chats = (1...3).map { _ in emulator.openChat(client: "client-1") }
            let store = InMemoryStore()
            try await commitWelcomes(chats, store: store)
            let outbox = delivery(store: store, port: port, tokens: StaticTokenProvider(token: try await emulatorToken(port: port)))
            #expect(try await outbox.deliverDue(deadline: Date().addingTimeInterval(-1)) == 0)
            #expect(store.outbox.count == 3)
            #expect(try await outbox.deliverDue(deadline: Date().addingTimeInterval(60)) == 3)
            #expect(store.outbox.isEmpty)
        }
    }

    @Test func anActionCommittedBeforeAStopIsDeliveredAfterTheRestartWithItsKey() async throws {
        try await withEmulator { emulator, port in
            try await withTemporaryFolder { folder in
                let path = folder.appendingPathComponent("chatbots.sqlite").path
                let chat = emulator.openChat(client: "client-2")
                // First run: decided and committed, then stopped before any delivery.
                try await commitWelcomes([chat], store: try SQLiteStore(path: path))
                let committedKey = try await SQLiteStore(path: path).pendingActions(after: 0, limit: 1).first?.idempotencyKey
                #expect(emulator.record.actions.isEmpty)
                // Second run, on the same file: delivered once, with the committed key.
                let store = try SQLiteStore(path: path)
                let outbox = delivery(store: store, port: port, tokens: StaticTokenProvider(token: try await emulatorToken(port: port)))
                #expect(try await outbox.deliverDue() == 1)
                #expect(try await outbox.deliverDue() == 0, "a delivered action is not sent again")
                #expect(emulator.record.appliedActions.map(\.idempotencyKey) == [committedKey])
            }
        }
    }

    @Test func aPermanentRefusalBecomesADeadLetterWithTheAnswer() async throws {
        try await withEmulator { emulator, port in
            try await withTemporaryFolder { folder in
                let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
                try await commitWelcomes(["no-such-chat"], store: store)
                let outbox = delivery(store: store, port: port, tokens: StaticTokenProvider(token: try await emulatorToken(port: port)))
                try await outbox.deliverDue()
                let dead = try await store.deadLetters()
                #expect(dead.count == 1)
                #expect(dead.first?.reason.contains("404") == true)
                #expect(dead.first?.reason.contains("Not found.") == true)
                #expect(outbox.statistics == .init(delivered: 0, retried: 0, deadLettered: 1))
                #expect(emulator.record.appliedActions.isEmpty)
            }
        }
    }

    @Test func aRefusedTokenIsReplacedAndTheActionRetried() async throws {
        try await withEmulator { emulator, port in
            try await withTemporaryFolder { folder in
                let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
                let chat = emulator.openChat(client: "client-3")
                try await commitWelcomes([chat], store: store)
                let tokens = FlakyTokens(good: try await emulatorToken(port: port))
                let outbox = delivery(store: store, port: port, tokens: tokens)
                await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await outbox.run() }
                    await outbox.waitUntil { $0.delivered == 1 }
                    group.cancelAll()
                }
                #expect(await tokens.invalidations == 1)
                #expect(emulator.record.actions.map(\.status) == [401, 201])
            }
        }
    }

    @Test func alertsGoToTheWebhookSink() async throws {
        try await withEmulator { emulator, port in
            try await withTemporaryFolder { folder in
                let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
                var commit = Commit()
                commit.actions = [
                    OutboxEntry(
                        idempotencyKey: "alert-1", bot: "sla",
                        action: .alert(Alert(text: "Chat 7 waits 15 min", level: .critical, chatID: "7", details: ["waited_seconds": 900])),
                        createdAt: Date(), nextAttemptAt: Date()
                    )
                ]
                try await store.commit([commit])
                let outbox = delivery(store: store, port: port, tokens: StaticTokenProvider(token: "unused"), webhook: true)
                try await outbox.deliverDue()
                let alert = try #require(emulator.record.alerts.first)
                #expect(alert.body["text"] == "Chat 7 waits 15 min")
                #expect(alert.body["alert"]?["chat_id"] == "7")
                #expect(alert.body["alert"]?["level"] == "critical")
                #expect(alert.body["alert"]?["waited_seconds"] == 900)
            }
        }
    }
}
