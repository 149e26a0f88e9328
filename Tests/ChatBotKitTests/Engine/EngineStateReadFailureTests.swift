import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// An in-memory store whose reads of chats' state fail while the test says so.
final class FlakyStateStore: StateOnDemandStore {
    struct ReadFailed: Error {}
    let inner = InMemoryStore()
    let failing = Mutex(false)

    func load() async throws -> StoreSnapshot { try await inner.load() }
    func loadWithoutChatState() async throws -> StoreSnapshot { try await inner.loadWithoutChatState() }
    func storedStates(bot: String) async throws -> [StoredBotState] { try await inner.storedStates(bot: bot) }
    func commit(_ commits: [Commit]) async throws { try await inner.commit(commits) }
    func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] { try await inner.pendingActions(after: id, limit: limit) }
    func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await inner.pendingActions(of: chat, alerts: alerts, in: ids, limit: limit)
    }
    func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        try await inner.settle(id, as: outcome, followUp: followUp)
    }

    func chatState(of chat: ChatID) async throws -> [StoredBotState] {
        try chatStateNow(of: chat)
    }

    func chatStateNow(of chat: ChatID) throws -> [StoredBotState] {
        if failing.withLock({ $0 }) { throw ReadFailed() }
        return try inner.chatStateNow(of: chat)
    }
}

/// Counts messages saying "count" in chat "a"'s key, whatever chat they arrive in: a
/// read of another chat's key when the message is not in "a".
struct CountInChatA: Bot {
    let name = "counter"
    static let count = StateKey<Int>.chat("a", "count")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event, message.text == "count" else { return }
        context.set(Self.count, to: (context.state(Self.count) ?? 0) + 1)
    }
}

@Suite("The engine: a chat's state the store cannot give back", .timeLimit(.minutes(2)))
struct EngineStateReadFailureTests {
    private static let stored = StoredStateKey(bot: "counter", scope: .chat("a"), name: "count")

    /// A handler that read another chat's key and got nothing back must not commit on
    /// that read: a count of 5 would become 1.
    @Test func aFailedReadOfAnotherChatsKeyDropsTheHandlersEffects() async throws {
        let store = FlakyStateStore()
        try await withRunningEngine(bots: [CountInChatA()], store: store) { engine in
            for id in 1...5 { engine.submit(Events.message(MessageID(Int64(id)), in: "a", from: "client-1", "count"), receivedAt: Date()) }
            await engine.waitUntilIdle()
        }
        try await withRunningEngine(bots: [CountInChatA()], store: store) { engine in
            // Chat b's own keys are read while the store answers; chat a's are not.
            engine.submit(Events.message("b1", in: "b", from: "client-2"), receivedAt: Date())
            await engine.waitUntilIdle()
            store.failing.withLock { $0 = true }
            engine.submit(Events.message("6", in: "b", from: "client-2", "count"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(engine.statistics.handlerFailures == ["counter": 1])
            #expect(store.inner.state(Self.stored) == Data("5".utf8), "not reset to 1")

            store.failing.withLock { $0 = false }
            engine.submit(Events.message("7", in: "b", from: "client-2", "count"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(store.inner.state(Self.stored) == Data("6".utf8))
        }
    }

    /// The chat an event is about cannot be read: nothing can be decided for it, and a
    /// store that cannot be read is a store that cannot be trusted. The engine stops.
    @Test func aFailedReadOfTheEventsOwnChatStopsTheEngine() async throws {
        let store = FlakyStateStore()
        let engine = try await Engine(bots: [CountInChatA()], store: store, configuration: .init(serviceAccountID: "1000"), logger: quietLogger)
        let running = Task { try await engine.run() }
        store.failing.withLock { $0 = true }
        engine.submit(Events.message("1", in: "a", from: "client-1", "count"), receivedAt: Date())
        let result = await running.result
        guard case .failure(let error) = result else {
            Issue.record("the engine went on without the chat's state")
            return
        }
        #expect(error is FlakyStateStore.ReadFailed)
        #expect(store.inner.committedActions.isEmpty)
    }
}
