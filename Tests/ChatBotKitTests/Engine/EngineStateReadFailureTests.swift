import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// An in-memory store whose on-demand state reads fail while the test says so.
final class FlakyStateStore: StateOnDemandStore {
    struct ReadFailed: Error {}
    let inner = InMemoryStore()
    let failing = Mutex(false)

    func load() async throws -> StoreSnapshot { try await inner.load() }
    func loadWithoutState() async throws -> StoreSnapshot { try await inner.loadWithoutState() }
    func beginStateEpoch() async throws -> Int64 { try await inner.beginStateEpoch() }
    func storedStates(bot: String) async throws -> [StoredBotState] { try await inner.storedStates(bot: bot) }
    func commit(_ commits: [Commit]) async throws { try await inner.commit(commits) }
    func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] { try await inner.pendingActions(after: id, limit: limit) }
    func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await inner.pendingActions(of: chat, alerts: alerts, in: ids, limit: limit)
    }
    func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        try await inner.settle(id, as: outcome, followUp: followUp)
    }

    func storedState(bot: String, key: String) throws -> StoredBotState? {
        if failing.withLock({ $0 }) { throw ReadFailed() }
        return try inner.storedState(bot: bot, key: key)
    }
}

/// Counts messages, and treats any trouble reading the count as no count yet: the
/// careless pattern that must not reset a stored count when the store cannot be read.
struct ForgivingCounter: Bot {
    let name = "forgiving"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage = event else { return }
        let count = (try? context.state(Int.self, for: "count")) ?? 0
        try context.setState(count + 1, for: "count")
    }
}

@Suite("The engine: a state value the store cannot give back", .timeLimit(.minutes(2)))
struct EngineStateReadFailureTests {
    @Test func aHandlerThatCaughtTheFailedReadStillLosesItsEffects() async throws {
        let store = FlakyStateStore()
        // Five messages counted, then a restart: the count stays in the store.
        try await withRunningEngine(bots: [ForgivingCounter()], store: store) { engine in
            for id in 1...5 { engine.submit(Events.message(MessageID(Int64(id)), in: "c", from: "client-1"), receivedAt: Date()) }
            await engine.waitUntilIdle()
        }
        try await withRunningEngine(bots: [ForgivingCounter()], store: store) { engine in
            store.failing.withLock { $0 = true }
            engine.submit(Events.message("6", in: "c", from: "client-1"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(engine.statistics.handlerFailures == ["forgiving": 1])
            #expect(store.inner.state(bot: "forgiving", key: "count") == Data("5".utf8), "not reset to 1")

            store.failing.withLock { $0 = false }
            engine.submit(Events.message("7", in: "c", from: "client-1"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(store.inner.state(bot: "forgiving", key: "count") == Data("6".utf8))
        }
    }
}
