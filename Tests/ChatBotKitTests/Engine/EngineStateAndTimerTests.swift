import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// Counts new chats in one key shared by every chat.
struct CountingBot: Bot {
    var name = "counter"
    static let chats = StateKey<Int>.bot("chats")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newChat = event else { return }
        context.set(Self.chats, to: (context.state(Self.chats) ?? 0) + 1)
    }
}

/// Schedules a reminder per chat on its first message; cancels it when a curator
/// writes; says so when it fires.
struct ReminderBot: Bot {
    let name = "reminder"
    static let remind = TimerKind<MessageID>("remind")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        if message.senderID.rawValue.hasPrefix("curator") {
            context.cancel(Self.remind, chat: message.chatID)
        } else {
            context.schedule(Self.remind, after: .seconds(600), chat: message.chatID, payload: message.id)
        }
    }

    func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
        guard let chat = timer.chatID, let message = try timer.payload(Self.remind) else { return }
        let late = timer.isLate ? " (late)" : ""
        context.send("reminder for \(message)\(late)", to: chat)
    }
}

/// Schedules a nudge per chat and, when it fires, nudges and cancels it explicitly.
struct SelfCancellingBot: Bot {
    let name = "self-cancelling"
    static let nudge = TimerKind<NoPayload>("nudge")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        context.schedule(Self.nudge, after: .seconds(60), chat: message.chatID)
    }

    func timerFired(_ timer: FiredTimer, in context: BotContext) {
        guard let chat = timer.chatID else { return }
        context.send("nudge", to: chat)
        context.cancel(Self.nudge, chat: chat)
    }
}

@Suite("The engine: shared state, durable timers", .timeLimit(.minutes(2)))
struct EngineStateAndTimerTests {
    @Test func handlersOfManyChatsSharingOneKeyLoseNoUpdate() async throws {
        let store = InMemoryStore()
        try await withEngine([CountingBot()], store: store) { engine in
            for index in 0..<300 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            let key = StoredStateKey(bot: "counter", scope: .bot, name: "chats")
            let counted = try await engine.state(of: "counter")
            #expect(counted[key] == Data("300".utf8))
            #expect(store.state(key) == Data("300".utf8))
        }
    }

    /// A reload takes effect at its place among the inputs: events before it see the
    /// old lineup, events after it the new; bots of the same name keep their state.
    @Test func aLineupReplacedMidStreamTakesEffectInItsTurnAndKeepsState() async throws {
        let store = InMemoryStore()
        let first = CountingBot(name: "a")
        let second = CountingBot(name: "b")
        try await withEngine([first, second], store: store) { engine in
            for index in 0..<400 {
                if index % 50 == 0 {
                    try engine.replaceBots(index % 100 == 0 ? [second, first] : index == 350 ? [first] : [first, second])
                }
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            let (a, b) = (try await engine.state(of: "a"), try await engine.state(of: "b"))
            #expect(a[StoredStateKey(bot: "a", scope: .bot, name: "chats")] == Data("400".utf8))
            #expect(b[StoredStateKey(bot: "b", scope: .bot, name: "chats")] == Data("350".utf8), "b left the lineup before the last 50")
            try engine.replaceBots([first, second])
            #expect(throws: EngineError.duplicateBotName("a")) { try engine.replaceBots([first, first]) }
            #expect(engine.botNames == ["a", "b"], "a refused lineup changes nothing")
        }
    }

    /// A timer whose own handler cancels it (rather than letting it end) leaves nothing
    /// in the store: it does not fire again after a restart.
    @Test func aTimerThatCancelsItselfWhenItFiresIsGoneFromTheStore() async throws {
        let harness = BotHarness(bots: [SelfCancellingBot()])
        try await harness.run { harness in
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            #expect(harness.timers.count == 1)
            try await harness.advance(by: .seconds(61))
        }
        #expect(harness.actions.count == 1, "it fired once")
        #expect(harness.timers.isEmpty)
    }

    @Test func aTimerFiresWhenDueAndNotBefore() async throws {
        let store = InMemoryStore()
        let clock = VirtualClock()
        try await withEngine([ReminderBot()], store: store, clock: clock) { engine in
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            #expect(store.timers.keys.map(\.name) == ["remind.c"], "a timer's stored name is its kind and chat")
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
