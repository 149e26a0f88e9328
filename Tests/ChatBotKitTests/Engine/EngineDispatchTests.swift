import ChatBotKit
import ChatBotTesting
import Foundation
import Logging
import Testing

/// Notes every message it sees; the first message of chat "slow" waits at a gate.
struct NotingBot: Bot {
    let name = "noting"
    let journal: Journal
    let gate: Gate

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        journal.note("\(message.chatID):\(message.id):start")
        if message.chatID == "slow", message.id == "1" {
            await gate.wait()
        }
        journal.note("\(message.chatID):\(message.id):end")
    }
}

/// Replies to every message it sees.
struct EchoBot: Bot {
    let name = "echo"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        context.send("echo \(message.id)", to: message.chatID)
    }
}

struct Boom: Error {}

/// Records an action, then throws, for messages whose text is "boom".
struct ThrowingBot: Bot {
    let name = "thrower"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        context.send("thrower saw \(message.id)", to: message.chatID)
        try context.setState(message.id.rawValue, for: "last")
        if message.text == "boom" { throw Boom() }
    }
}

/// Never returns until cancelled.
struct HangingBot: Bot {
    let name = "hanging"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        context.send("never", to: event.chatID ?? "none")
        try await Task.sleep(for: .seconds(3_600))
    }
}

/// Awaits before it acts, as a bot calling out would: it must not inherit the
/// cancellation that timed out a bot before it in the same event.
struct AwaitingBot: Bot {
    let name = "awaiting"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        try await Task.sleep(for: .milliseconds(20))
        context.send("after a wait", to: event.chatID ?? "none")
    }
}

/// Swallows its cancellation and returns, long after its timeout.
struct StubbornBot: Bot {
    let name = "stubborn"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        context.send("too late", to: event.chatID ?? "none")
        try? await Task.sleep(for: .seconds(3_600))
    }
}

@Suite("The engine: order, loop protection, isolation", .timeLimit(.minutes(2)))
struct EngineDispatchTests {
    @Test func aChatsEventsKeepTheirOrderWhileAnotherChatsSlowHandlerRuns() async throws {
        let journal = Journal()
        let gate = Gate()
        try await withEngine([NotingBot(journal: journal, gate: gate)]) { engine in
            let now = Date()
            engine.submit(Events.message("1", in: "slow", from: "client-1"), receivedAt: now)
            engine.submit(Events.message("2", in: "slow", from: "client-1"), receivedAt: now)
            for id in ["1", "2", "3"] as [MessageID] {
                engine.submit(Events.message(id, in: "fast", from: "client-2"), receivedAt: now)
            }
            // The fast chat is handled completely while the slow one waits at its gate.
            await journal.wait { $0.contains("fast:3:end") }
            let whileBlocked = journal.entries
            #expect(whileBlocked.filter { $0.hasPrefix("fast:") } == [
                "fast:1:start", "fast:1:end", "fast:2:start", "fast:2:end", "fast:3:start", "fast:3:end",
            ])
            #expect(whileBlocked.filter { $0.hasPrefix("slow:") } == ["slow:1:start"], "slow:2 must wait for slow:1")
            gate.open()
            await engine.waitUntilIdle()
            #expect(journal.entries.filter { $0.hasPrefix("slow:") } == ["slow:1:start", "slow:1:end", "slow:2:start", "slow:2:end"])
        }
    }

    @Test func theServiceAccountsOwnMessagesNeverTriggerABot() async throws {
        let store = InMemoryStore()
        try await withEngine([EchoBot()], store: store) { engine in
            let decoder = FrameDecoder()
            let own = try decoder.decode(text: #"{"event_type": "new_message", "data": {"id": 7, "sender": 1000, "chat_id": 5, "text": "from the bot", "message_type": "text"}}"#).get()
            let ownAsString = try decoder.decode(text: #"{"event_type": "update_message", "data": {"id": 7, "sender": "1000", "chat_id": 5, "text": "edited", "message_type": "text"}}"#).get()
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
            #expect(store.state(bot: "thrower", key: "last") == Data(#""2""#.utf8))
        }
    }

    @Test func aHandlerPastItsTimeoutIsCancelledAndLosesItsEffects() async throws {
        let store = InMemoryStore()
        let configuration = EngineConfiguration(serviceAccountID: "1000", handlerTimeout: .milliseconds(200))
        try await withEngine([HangingBot(), EchoBot()], store: store, configuration: configuration) { engine in
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(store.committedActions.map(\.bot) == ["echo"])
            #expect(engine.statistics.handlerFailures == ["hanging": 1])
        }
    }

    @Test func theBotsAfterATimedOutOneStillRunAndMayAwait() async throws {
        let store = InMemoryStore()
        // The awaiting bot must finish its short wait well within the timeout even on a
        // loaded machine (CI once took over 200 ms to wake it), so the timeout is long.
        let configuration = EngineConfiguration(serviceAccountID: "1000", handlerTimeout: .seconds(2))
        try await withEngine([HangingBot(), StubbornBot(), AwaitingBot(), EchoBot()], store: store, configuration: configuration) { engine in
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: Date())
            engine.submit(Events.message("2", in: "d", from: "client-2"), receivedAt: Date())
            await engine.waitUntilIdle()
            let sent = store.committedActions.map { "\($0.bot) \($0.action.chatID.map { "\($0)" } ?? "")" }
            #expect(sent.sorted() == ["awaiting c", "awaiting d", "echo c", "echo d"])
            #expect(engine.statistics.handlerFailures == ["hanging": 2, "stubborn": 2])
        }
    }

    @Test func botNamesMustBeUnique() async throws {
        await #expect(throws: EngineError.duplicateBotName("echo")) {
            _ = try await Engine(bots: [EchoBot(), EchoBot()], store: InMemoryStore(), configuration: .init(serviceAccountID: "1"), logger: .init(label: "x"))
        }
    }
}
