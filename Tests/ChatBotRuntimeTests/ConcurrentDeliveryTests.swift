import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import ServiceLifecycle
import Testing

/// On every new chat: messages "1" to `messages`, then an alert if asked, each with
/// the given expiry.
private struct ScriptBot: Bot {
    let name = "script"
    var messages = 1
    var alert = false
    var expiresAfter: Duration?

    func handle(_ event: ChatEvent, in context: BotContext) throws {
        guard case .newChat(let chat) = event else { return }
        for number in 1...max(1, messages) {
            context.send("\(number)", to: chat.chatID, expiresAfter: expiresAfter)
        }
        if alert {
            context.alert(Alert(text: "look at \(chat.chatID)", chatID: chat.chatID))
        }
    }
}

/// Commits the script bot's actions for each chat, on the wall clock.
private func commit(_ bot: ScriptBot, chats: [ChatID], store: any Store) async throws {
    try await withRunningEngine(bots: [bot], store: store, clock: SystemClock()) { engine in
        for chat in chats {
            engine.submit(.newChat(.init(clientID: UserID("client-\(chat)"), chatID: chat, chatType: .order)), receivedAt: Date())
        }
        await engine.waitUntilIdle()
    }
}

/// Runs `delivery` while `body` runs.
private func whileDelivering(_ delivery: OutboxDelivery, _ body: @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await delivery.run() }
        defer { group.cancelAll() }
        try await body()
    }
}

private func outbox(
    store: any Store, port: Int, token: String, limits: DeliveryLimits = DeliveryLimits(), maxAge: Duration = .seconds(3_600),
    alertMaxAge: Duration = .seconds(3_600), alertTimeout: Duration? = nil, now: @escaping @Sendable () -> Date = { Date() }
) -> OutboxDelivery {
    OutboxDelivery(
        store: store, transport: AsyncHTTPTransport(timeout: .seconds(10)), tokens: StaticTokenProvider(token: token),
        configuration: .init(
            apiBaseURL: "http://127.0.0.1:\(port)", alerts: AlertSink(webhookURL: "http://127.0.0.1:\(port)/hooks/alerts"),
            retry: RetryPolicy(base: .milliseconds(20), cap: .milliseconds(100)), limits: limits, maxAge: maxAge,
            alertMaxAge: alertMaxAge, alertTimeout: alertTimeout, pollInterval: .milliseconds(50)
        ),
        logger: quietLogger, now: now
    )
}

/// The texts the backend applied in one chat, in the order it applied them.
private func appliedTexts(in chat: ChatID, _ record: EmulatorRecord) -> [String] {
    record.actions.filter { $0.path == "/api/chats/\(chat)/messages/" && $0.outcome == .applied }
        .compactMap { $0.body["text"]?.stringValue }
}

@Suite("Delivering at a real backend's pace", .timeLimit(.minutes(3)))
struct ConcurrentDeliveryTests {
    @Test func fortyChatsOpenedInOneSecondAreAssignedTogetherAt250ms() async throws {
        let faults = FaultCommand(delayMilliseconds: 250)
        try await Emulator.withRunning(EmulatorConfiguration(world: .init(clients: 40, curators: 8), faults: faults)) { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(
                    port: port, store: folder.appendingPathComponent("bots.sqlite").path,
                    extra: """
                        engine:
                          curators: [curator-1, curator-2, curator-3, curator-4, curator-5, curator-6, curator-7, curator-8]
                        bots:
                          - type: auto_assign
                            options: {strategy: least_loaded, max_open_chats: 10}
                        """)
                let loaded = try ConfigLoader.parse(yaml, file: "rush.yaml", environment: [:])
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "rush.yaml"), logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    for curator in 1...8 {
                        try emulator.send(.userStatus(.init(userID: UserID("curator-\(curator)"), status: .online)))
                    }
                    var opened: [ChatID: Date] = [:]
                    for client in 1...40 {
                        let chat = emulator.openChat(client: UserID("client-\(client)"))
                        opened[chat] = Date()
                    }
                    try await eventually("all 40 chats assigned") {
                        emulator.record.actions.filter { $0.path.hasSuffix("/assign/") && $0.outcome == .applied }.count == 40
                    }
                    let assignments = emulator.record.actions.filter { $0.path.hasSuffix("/assign/") && $0.outcome == .applied }
                    // Delivery's share: all 40 arrive within 2 s of one another (one at a
                    // time, at 250 ms each, would take 9.75 s). End to end, each chat is
                    // assigned within 2 s of its new_chat on a quiet machine (0.7 s at most
                    // here, and the benchmark's p99 in docs/BENCHMARKS.md); under a whole
                    // test run on two loaded cores the engine's own share reached 1.4 s, so
                    // the end-to-end bound here leaves room for that.
                    let arrivals = assignments.map(\.receivedAt)
                    let spread = try #require(arrivals.max()).timeIntervalSince(try #require(arrivals.min()))
                    #expect(spread < 2, "the 40 assignments arrived over \(spread) s")
                    for assignment in assignments {
                        let chat = ChatID(String(assignment.path.split(separator: "/")[2]))
                        let waited = assignment.receivedAt.timeIntervalSince(try #require(opened[chat]))
                        #expect(waited < 5, "chat \(chat) was assigned \(waited) s after its new_chat")
                    }
                    #expect(parts.delivery.statistics.retried == 0)
                    #expect(parts.delivery.statistics.deadLettered == 0)
                }
            }
        }
    }

    @Test func aWebhookThatNeverAnswersDelaysNoChatActionAndItsAlertDeadLettersAtItsMaximumAge() async throws {
        try await Emulator.withRunning { emulator, port in
            emulator.apply(FaultCommand(hangHooks: true))
            let chats = (1...5).map { _ in emulator.openChat(client: "client-1") }
            let store = InMemoryStore()
            try await commit(ScriptBot(alert: true), chats: chats, store: store)
            let token = try await emulatorToken(port: port)
            // Each alert attempt hangs 2 s: the first ends at 2 s, a retry at about 4 s,
            // and the one after would fall past the alert's 3 s age.
            // Two places in flight each: were alerts and chat actions to share them, the
            // hung alerts would hold the chat actions.
            let delivery = outbox(
                store: store, port: port, token: token, limits: DeliveryLimits(maxInFlight: 2, alertMaxInFlight: 2),
                alertMaxAge: .seconds(3), alertTimeout: .seconds(2)
            )
            try await whileDelivering(delivery) {
                await delivery.waitUntil { $0.delivered == 5 }
                let early = delivery.statistics
                #expect(early.retried == 0 && early.deadLettered == 0, "every chat action was delivered while the alerts still hung")
                await delivery.waitUntil { $0.deadLettered == 5 }
            }
            let dead = store.deadLetters
            #expect(dead.count == 5)
            #expect(dead.allSatisfy { $0.entry.action.kind == "alert" && $0.reason.contains("gave up after") })
            #expect(store.outbox.isEmpty, "no alert is raised about an alert given up on")
            #expect(emulator.record.alerts.isEmpty)
        }
    }

    @Test func withRandomDelaysAnd500sEachChatsActionsArriveInCommitOrder() async throws {
        try await Emulator.withRunning { emulator, port in
            emulator.apply(FaultCommand(delayMilliseconds: 20, jitterMilliseconds: 20, failRate: 0.3))
            let chats = (1...12).map { _ in emulator.openChat(client: "client-1") }
            let store = InMemoryStore()
            try await commit(ScriptBot(messages: 5), chats: chats, store: store)
            let delivery = outbox(store: store, port: port, token: try await emulatorToken(port: port), limits: DeliveryLimits(maxInFlight: 8))
            try await whileDelivering(delivery) {
                await delivery.waitUntil { $0.delivered == 60 }
            }
            let record = emulator.record
            #expect(record.actions.contains { $0.outcome == .injectedFailure }, "some attempts failed")
            for chat in chats {
                #expect(appliedTexts(in: chat, record) == ["1", "2", "3", "4", "5"], "chat \(chat)")
                // No attempt of an action before the one before it was applied.
                let attempts = record.actions.filter { $0.path == "/api/chats/\(chat)/messages/" }.compactMap { $0.body["text"]?.stringValue }
                #expect(attempts == attempts.sorted(), "chat \(chat): attempts \(attempts)")
            }
        }
    }

    @Test func aChatPausedBy429HoldingMoreThanMemoryTakesLeavesOtherChatsFlowing() async throws {
        try await Emulator.withRunning { emulator, port in
            let throttled = emulator.openChat(client: "client-1")
            emulator.apply(FaultCommand(throttleChats: .init(chats: [throttled.rawValue], retryAfter: 60)))
            let others = (1...10).map { _ in emulator.openChat(client: "client-2") }
            let store = InMemoryStore()
            try await commit(ScriptBot(messages: 150), chats: [throttled], store: store)
            try await commit(ScriptBot(messages: 2), chats: others, store: store)
            // Memory holds 100 actions, 8 of a chat: the throttled chat's 150 wait in the store.
            let limits = DeliveryLimits(maxInFlight: 4, heldLimit: 100, heldPerLane: 8)
            let delivery = outbox(store: store, port: port, token: try await emulatorToken(port: port), limits: limits)
            try await whileDelivering(delivery) {
                await delivery.waitUntil { $0.delivered == 20 && $0.retried >= 1 }
                let waiting = delivery.waitingActions()
                #expect(waiting["paused"] == 1, "the throttled chat's head waits out its Retry-After")
                #expect(waiting["behind_chat"] == 7)
            }
            let record = emulator.record
            for chat in others {
                #expect(appliedTexts(in: chat, record) == ["1", "2"])
            }
            #expect(record.actions.filter { $0.path.contains("/\(throttled)/") }.count == 1, "one attempt, then the pause")
        }
    }

    @Test func anActionFailingPastItsMaximumAgeFreesItsChatAndAnAlertSaysSo() async throws {
        try await Emulator.withRunning { emulator, port in
            let chat = emulator.openChat(client: "client-1")
            emulator.apply(FaultCommand(throttleChats: .init(chats: [chat.rawValue], retryAfter: 1)))
            let store = InMemoryStore()
            try await commit(ScriptBot(messages: 2), chats: [chat], store: store)
            let delivery = outbox(store: store, port: port, token: try await emulatorToken(port: port), maxAge: .seconds(2))
            try await whileDelivering(delivery) {
                await delivery.waitUntil { $0.deadLettered == 1 }
                emulator.apply(FaultCommand(throttleChats: .init(chats: [])))
                await delivery.waitUntil { $0.delivered == 2 }
            }
            #expect(appliedTexts(in: chat, emulator.record) == ["2"], "the chat's next action went on")
            let dead = try #require(store.deadLetters.first)
            #expect(dead.entry.action == .sendMessage(chatID: chat, text: "1"))
            #expect(dead.reason.contains("gave up after") && dead.reason.contains("HTTP 429"), "\(dead.reason)")
            let alert = try #require(emulator.record.alerts.first)
            #expect(alert.body["text"]?.stringValue?.contains("Gave up delivering send_message to chat \(chat)") == true)
        }
    }

    @Test func anExpiredReplyIsRecordedAndNotSent() async throws {
        try await Emulator.withRunning { emulator, port in
            let chat = emulator.openChat(client: "client-1")
            try await withTemporaryFolder { folder in
                let store = try SQLiteStore(path: folder.appendingPathComponent("bots.sqlite").path)
                try await commit(ScriptBot(expiresAfter: .seconds(900)), chats: [chat], store: store)
                // The delivery comes back 16 minutes later (a backend down, a stopped runtime).
                let later: @Sendable () -> Date = { Date().addingTimeInterval(16 * 60) }
                let delivery = outbox(store: store, port: port, token: try await emulatorToken(port: port), now: later)
                #expect(try await delivery.deliverDue() == 1)
                #expect(delivery.statistics.expired == 1)
                #expect(emulator.record.actions.isEmpty, "nothing was sent")
                #expect(try await store.pendingActionCount() == 0)
                let details = try #require(try await store.inspect(chat: chat))
                #expect(details.actions.map(\.status) == ["expired"], "`chatbots state chat` shows it")
                let listed = try await store.deadLetterList()
                #expect(listed.map(\.expired) == [true], "the dead-letter listing shows it")
            }
        }
    }

    @Test func aDeadLetterRequeuedWhileTheDeliveryRunsGoesOutWithoutAnotherCommit() async throws {
        try await Emulator.withRunning { emulator, port in
            let chat = emulator.openChat(client: "client-1")
            try await withTemporaryFolder { folder in
                let store = try SQLiteStore(path: folder.appendingPathComponent("bots.sqlite").path)
                try await commit(ScriptBot(expiresAfter: .seconds(60)), chats: [chat], store: store)
                let id = try #require(try await store.pendingActions(after: 0, limit: 1).first?.id)
                try await store.settle(id, as: .deadLetter(reason: "HTTP 404: chat not found"))
                // Hours later, with the reply long past its expiry: a person puts it back.
                let later: @Sendable () -> Date = { Date().addingTimeInterval(2 * 3_600) }
                let delivery = outbox(store: store, port: port, token: try await emulatorToken(port: port), now: later)
                try await whileDelivering(delivery) {
                    let requeued = try await store.requeueDeadLetters()
                    #expect(requeued == [id])
                    await delivery.waitUntil { $0.delivered == 1 || $0.expired > 0 }
                }
                #expect(delivery.statistics.expired == 0, "a re-queued action no longer expires")
                #expect(appliedTexts(in: chat, emulator.record) == ["1"])
            }
        }
    }
}
