import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// Counts new chats in one key shared by every chat, yielding between read and write
/// so that handlers of different chats race on it.
struct CountingBot: Bot {
    var name = "counter"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newChat = event else { return }
        let count = try context.state(Int.self, for: "chats") ?? 0
        await Task.yield()
        try context.setState(count + 1, for: "chats")
    }
}

/// Schedules a reminder per chat on its first message; cancels it when a curator
/// writes; says so when it fires.
struct ReminderBot: Bot {
    let name = "reminder"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        if message.senderID.rawValue.hasPrefix("curator") {
            context.cancelTimer("remind.\(message.chatID)")
        } else {
            context.schedule("remind.\(message.chatID)", after: .seconds(600), chat: message.chatID, payload: ["message": .string(message.id.rawValue)])
        }
    }

    func timerFired(_ timer: FiredTimer, in context: BotContext) async throws {
        guard let chat = timer.chatID else { return }
        let late = timer.isLate ? " (late)" : ""
        context.send("reminder for \(timer.payload["message"]?.stringValue ?? "?")\(late)", to: chat)
    }
}

@Suite("The engine: shared state, durable timers", .timeLimit(.minutes(2)))
struct EngineStateAndTimerTests {
    @Test func handlersOfManyChatsRacingOnOneKeyLoseNoUpdate() async throws {
        let store = InMemoryStore()
        try await withEngine([CountingBot()], store: store) { engine in
            for index in 0..<300 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            let counted = try await engine.state(of: "counter")
            #expect(counted["chats"] == Data("300".utf8))
            #expect(store.state(bot: "counter", key: "chats") == Data("300".utf8))
        }
    }

    /// A reload that reorders bots while handlers race (and rerun under exclusive
    /// gates) neither deadlocks nor loses an update: gates are taken in name order.
    @Test func reorderingTheBotsMidRaceNeitherDeadlocksNorLosesAnUpdate() async throws {
        let store = InMemoryStore()
        let first = CountingBot(name: "a"), second = CountingBot(name: "b")
        try await withEngine([first, second], store: store) { engine in
            for index in 0..<400 {
                if index % 50 == 0 {
                    try engine.replaceBots(index % 100 == 0 ? [second, first] : [first, second])
                }
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            let (a, b) = (try await engine.state(of: "a"), try await engine.state(of: "b"))
            #expect(a["chats"] == Data("400".utf8))
            #expect(b["chats"] == Data("400".utf8))
            #expect(engine.statistics.conflictReruns > 0, "the handlers did race")
            #expect(throws: EngineError.duplicateBotName("a")) { try engine.replaceBots([first, first]) }
            #expect(engine.botNames == ["a", "b"], "a refused lineup changes nothing")
        }
    }

    @Test func aTimerFiresWhenDueAndNotBefore() async throws {
        let store = InMemoryStore()
        let clock = VirtualClock()
        try await withEngine([ReminderBot()], store: store, clock: clock) { engine in
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            #expect(store.timers.keys.map(\.name) == ["remind.c"])
            clock.advance(by: .seconds(599))
            await engine.fireDueTimers()
            #expect(store.committedActions.isEmpty)
            clock.advance(by: .seconds(1))
            await engine.fireDueTimers()
            #expect(store.committedActions.map(\.action) == [.sendMessage(chatID: "c", text: "reminder for 1")])
            #expect(store.timers.isEmpty, "a fired timer is removed once handled")
        }
    }

    @Test func rescheduledAndCancelledTimersFireOnlyAsLastSaid() async throws {
        let store = InMemoryStore()
        let clock = VirtualClock()
        try await withEngine([ReminderBot()], store: store, clock: clock) { engine in
            engine.submit(Events.message("1", in: "a", from: "client-1"), receivedAt: clock.now())
            engine.submit(Events.message("2", in: "b", from: "client-2"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            clock.advance(by: .seconds(300))
            engine.submit(Events.message("3", in: "a", from: "client-1"), receivedAt: clock.now())
            engine.submit(Events.message("4", in: "b", from: "curator-1"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            clock.advance(by: .seconds(300))
            await engine.fireDueTimers()
            #expect(store.committedActions.isEmpty, "a's timer moved on, b's was cancelled")
            clock.advance(by: .seconds(300))
            await engine.fireDueTimers()
            #expect(store.committedActions.map(\.action) == [.sendMessage(chatID: "a", text: "reminder for 3")])
            #expect(engine.pendingTimers.isEmpty)
        }
    }

    @Test func aTimerDueWhileTheRuntimeWasDownFiresOnStartMarkedLate() async throws {
        let store = InMemoryStore()
        let clock = VirtualClock()
        try await withEngine([ReminderBot()], store: store, clock: clock) { engine in
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: clock.now())
        }
        // Down for an hour; the timer came due after ten minutes.
        clock.advance(by: .seconds(3_600))
        try await withEngine([ReminderBot()], store: store, clock: clock) { engine in
            await engine.fireDueTimers()
            #expect(store.committedActions.map(\.action) == [.sendMessage(chatID: "c", text: "reminder for 1 (late)")])
            #expect(store.timers.isEmpty)
        }
    }

    @Test func theWorldModelAndTheEffectsAreCommittedTogether() async throws {
        let store = InMemoryStore()
        try await withEngine([EchoBot()], store: store) { engine in
            engine.submit(Events.chat("9", client: "client-9"), receivedAt: Date())
            engine.submit(Events.message("1", in: "9", from: "client-9"), receivedAt: Date())
            await engine.waitUntilIdle()
        }
        let reloaded = try await store.load()
        let chat = try #require(reloaded.chats.first { $0.id == "9" })
        #expect(chat.clientID == "client-9")
        #expect(chat.messages.map(\.id) == ["1"])
        #expect(chat.messages.first?.senderRole == .client)
        #expect(store.committedActions.map(\.action) == [.sendMessage(chatID: "9", text: "echo 1")])
        #expect(Set(store.committedActions.map(\.idempotencyKey)).count == 1)
    }
}
