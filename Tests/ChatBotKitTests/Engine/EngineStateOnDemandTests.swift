import ChatBotTesting
import Foundation
import Testing

@testable import ChatBotKit

/// Counts each chat's messages in the chat's key; on a message in chat "peek", reads
/// chat "a"'s count, another chat's key; every message schedules a check in its chat.
private struct ChatCounter: Bot {
    let name = "counter"
    static func count(_ chat: ChatID) -> StateKey<Int> { .chat(chat, "count") }
    static let check = TimerKind<NoPayload>("check")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        let count = (context.state(Self.count(message.chatID)) ?? 0) + 1
        context.set(Self.count(message.chatID), to: count)
        context.schedule(Self.check, after: .seconds(60), chat: message.chatID)
        if message.chatID == "peek" {
            context.send("a has \(context.state(Self.count("a")) ?? 0)", to: message.chatID)
        }
    }

    func timerFired(_ timer: FiredTimer, in context: BotContext) {
        guard let chat = timer.chatID else { return }
        context.send("\(chat) has \(context.state(Self.count(chat)) ?? 0)", to: chat)
    }
}

private func count(_ chat: ChatID) -> StoredStateKey {
    StoredStateKey(bot: "counter", scope: .chat(chat), name: "count")
}

/// With a store that reads a chat's state on demand, a quiet chat's keys leave memory
/// once durable, and come back from the store before anything reads them: the event's
/// own chat before the event enters the sequence, a timer's chat before it fires,
/// another chat's keys when a handler reads them.
@Suite("The engine: chats' state read on demand", .timeLimit(.minutes(1)))
struct EngineStateOnDemandTests {
    @Test func aQuietChatsKeysLeaveMemoryAndComeBackWhenNeeded() async throws {
        let store = InMemoryStore()
        let clock = VirtualClock()
        // With a budget of 0 every durable chat's keys leave memory between inputs.
        let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)
        try await withEngine([ChatCounter()], store: store, clock: clock, configuration: configuration) { engine in
            for round in 1...3 {
                for chat in ["a", "b"] as [ChatID] {
                    engine.submit(Events.message(MessageID("\(chat)\(round)"), in: chat, from: UserID("client-\(chat)")), receivedAt: clock.now())
                }
                await engine.waitUntilIdle()
            }
            #expect(store.state(count("a")) == Data("3".utf8))
            #expect(store.state(count("b")) == Data("3".utf8))
            // Something else comes and goes: the counted chats' keys leave memory.
            engine.submit(Events.message("z1", in: "z", from: "client-z"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            engine.submit(Events.message("z2", in: "z", from: "client-z"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            #expect(engine.stateBytesInMemory < 2 * (1 + StateTable.Entry.overhead), "only chat z's key is held")

            // Another chat's key, read from the store by a handler.
            engine.submit(Events.message("p1", in: "peek", from: "client-p"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            // The timers of chats whose keys left memory read them first.
            clock.advance(by: .seconds(60))
            await engine.fireDueTimers()
            let said = store.committedActions.compactMap { entry -> String? in
                guard case .sendMessage(_, let text) = entry.action else { return nil }
                return text
            }
            // Timers due at one moment fire in the order they were (last) scheduled.
            #expect(said == ["a has 3", "a has 3", "b has 3", "z has 2", "peek has 1"])
        }
    }
}

/// A store that can only be loaded whole: the engine holds all its state from the start.
private final class LoadWholeStore: Store {
    let inner = InMemoryStore()

    func load() async throws -> StoreSnapshot { try await inner.load() }
    func commit(_ commits: [Commit]) async throws { try await inner.commit(commits) }
    func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] { try await inner.pendingActions(after: id, limit: limit) }
    func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await inner.pendingActions(of: chat, alerts: alerts, in: ids, limit: limit)
    }
    func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        try await inner.settle(id, as: outcome, followUp: followUp)
    }
}

@Suite("The engine: a store loaded whole", .timeLimit(.minutes(1)))
struct EngineLoadWholeStoreTests {
    @Test func itsStateIsHeldFromTheStartAndCountsOnAcrossARestart() async throws {
        let store = LoadWholeStore()
        let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)  // no budget applies
        for round in 0..<2 {
            try await withRunningEngine(bots: [ChatCounter()], store: store, configuration: configuration) { engine in
                #expect((engine.stateBytesInMemory > 0) == (round > 0), "loaded at start")
                for index in 0..<3 {
                    engine.submit(Events.message(MessageID("r\(round)-\(index)"), in: "c", from: "client-1"), receivedAt: Date())
                }
                await engine.waitUntilIdle()
                let state = try await engine.state(of: "counter")
                #expect(state[count("c")] == Data("\(3 * (round + 1))".utf8))
            }
        }
        #expect(store.inner.state(count("c")) == Data("6".utf8))
    }
}
