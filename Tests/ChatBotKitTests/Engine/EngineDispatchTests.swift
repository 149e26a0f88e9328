import ChatBotKit
import ChatBotTesting
import Foundation
import Logging
import Testing

/// Notes every event it sees, in the order it sees them.
struct NotingBot: Bot {
    let name = "noting"
    let journal: Journal

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        journal.note("\(message.chatID):\(message.id)")
    }
}

/// Replies to every message it sees.
struct EchoBot: Bot {
    let name = "echo"

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        context.send("echo \(message.id)", to: message.chatID)
    }
}

struct Boom: Error {}

/// Records an action and state, then throws, for messages whose text is "boom".
struct ThrowingBot: Bot {
    let name = "thrower"
    static let last = StateKey<String>.bot("last")

    func handle(_ event: ChatEvent, in context: BotContext) throws {
        guard case .newMessage(let message) = event else { return }
        context.send("thrower saw \(message.id)", to: message.chatID)
        context.set(Self.last, to: message.id.rawValue)
        if message.text == "boom" { throw Boom() }
    }
}

/// Records an action, then blocks its thread at the latch for messages of chat "stuck".
struct StuckBot: Bot {
    let name = "stuck"
    let latch: Latch

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        context.send("stuck saw \(message.id)", to: message.chatID)
        if message.chatID == "stuck" { latch.wait() }
    }
}

@Suite("The engine: one order, loop protection, isolation", .timeLimit(.minutes(2)))
struct EngineDispatchTests {
    @Test func inputsAreHandledInTheOrderTheyArriveAcrossChats() async throws {
        let journal = Journal()
        try await withEngine([NotingBot(journal: journal)]) { engine in
            var expected: [String] = []
            for index in 0..<200 {
                let chat = ChatID(Int64(index % 7))
                let id = MessageID(Int64(index))
                engine.submit(Events.message(id, in: chat, from: UserID("client-\(index % 7)")), receivedAt: Date())
                expected.append("\(chat):\(id)")
            }
            await engine.waitUntilIdle()
            #expect(journal.entries == expected)
        }
    }

    @Test func theServiceAccountsOwnMessagesNeverTriggerABot() async throws {
        let store = InMemoryStore()
        try await withEngine([EchoBot()], store: store) { engine in
            let decoder = FrameDecoder()
            let own = try decoder.decode(
                text:
                    #"{"event_type": "new_message", "data": {"id": 7, "sender": 1000, "chat_id": 5, "text": "from the bot", "message_type": "text"}}"#
            ).get()
            let ownAsString = try decoder.decode(
                text:
                    #"{"event_type": "update_message", "data": {"id": 7, "sender": "1000", "chat_id": 5, "text": "edited", "message_type": "text"}}"#
            ).get()
            engine.submit(own, receivedAt: Date())
            engine.submit(ownAsString, receivedAt: Date())
            engine.submit(Events.message("8", in: "5", from: "client-9"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(store.committedActions.map(\.action) == [.sendMessage(chatID: "5", text: "echo 8")])
            #expect(engine.statistics.ownMessagesSkipped == 2)
            // The world still knows the bot's own message: it is part of the chat.
            #expect(engine.worldModel.chats["5"]?.messages.map(\.id) == ["7", "8"])
            #expect(engine.worldModel.chats["5"]?.messages.first?.senderRole == .serviceAccount)
        }
    }

    @Test func aThrowingBotLosesOnlyItsOwnEffectsForThatEvent() async throws {
        let store = InMemoryStore()
        try await withEngine([ThrowingBot(), EchoBot()], store: store) { engine in
            engine.submit(Events.message("1", in: "c", from: "client-1", "boom"), receivedAt: Date())
            engine.submit(Events.message("2", in: "c", from: "client-1", "fine"), receivedAt: Date())
            await engine.waitUntilIdle()
            let texts = store.committedActions.map { entry -> String in
                guard case .sendMessage(_, let text) = entry.action else { return "" }
                return "\(entry.bot): \(text)"
            }
            #expect(texts == ["echo: echo 1", "thrower: thrower saw 2", "echo: echo 2"])
            #expect(engine.statistics.handlerFailures == ["thrower": 1])
            #expect(store.state(ThrowingBot.last.stored(by: "thrower")) == Data(#""2""#.utf8))
        }
    }

    /// The budget's promise: a handler that never returns holds up the others for its
    /// budget, not for good. The other chats' events are handled and committed while it
    /// is still stuck; it is reported with its bot and event, and its effects never count.
    @Test func aHandlerPastItsBudgetIsLeftBehindAndTheOthersGoOn() async throws {
        let store = InMemoryStore()
        let latch = Latch()
        defer { latch.open() }
        let logs = LogCapture()
        let configuration = EngineConfiguration(serviceAccountID: "1000", handlerTimeout: .milliseconds(300))
        try await withRunningEngine(bots: [StuckBot(latch: latch), EchoBot()], store: store, configuration: configuration, logger: logs.logger) {
            engine in
            engine.submit(Events.message("1", in: "stuck", from: "client-1"), receivedAt: Date())
            engine.submit(Events.message("2", in: "other", from: "client-2"), receivedAt: Date())
            engine.submit(Events.message("3", in: "other", from: "client-2"), receivedAt: Date())
            // Returns while the stuck handler still blocks its thread (the latch is shut).
            await engine.waitUntilIdle()
            let sent = store.committedActions.map { "\($0.bot) \($0.action.chatID.map { "\($0)" } ?? "")" }
            #expect(sent == ["echo stuck", "stuck other", "echo other", "stuck other", "echo other"])
            #expect(engine.statistics.handlerFailures == ["stuck": 1])
            #expect(engine.statistics.handlersAbandoned == 1)
            let report = try #require(logs.lines.first { $0.message.contains("past its budget") })
            #expect(report.metadata["bot.name"] == "stuck")
            #expect(report.metadata["event.type"] == "new_message")
            #expect(report.metadata["chat.id"] == "stuck")
            // Let go at last, it changes nothing: its effects were dropped for good.
            latch.open()
            engine.submit(Events.message("4", in: "other", from: "client-2"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(store.committedActions.filter { $0.bot == "stuck" && $0.action.chatID == "stuck" }.isEmpty)
        }
    }

    @Test func botNamesMustBeUnique() async throws {
        await #expect(throws: EngineError.duplicateBotName("echo")) {
            _ = try await Engine(
                bots: [EchoBot(), EchoBot()], store: InMemoryStore(), configuration: .init(serviceAccountID: "1"), logger: .init(label: "x"))
        }
    }
}
