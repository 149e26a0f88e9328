import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// Counts messages in one shared key; the handler for chat "slow" says when it has
/// read the count, then waits at a gate before writing it.
private struct HoldingCounter: Bot {
    let name = "held"
    let read: Gate
    let gate: Gate

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        let count = try context.state(Int.self, for: "count") ?? 0
        if message.chatID == "slow" {
            read.open()
            await gate.wait()
        }
        try context.setState(count + 1, for: "count")
    }
}

@Suite("The engine: bot state let go of while a handler holds a read", .timeLimit(.minutes(1)))
struct EngineStateOnDemandTests {
    @Test func aReadOfAKeyLetGoOfAndRewrittenSinceIsStaleAtTheCommit() async throws {
        let store = InMemoryStore()
        let (read, gate) = (Gate(), Gate())
        // With a budget of 0 every durable key leaves memory after its batch.
        let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)
        try await withEngine([HoldingCounter(read: read, gate: gate)], store: store, configuration: configuration) { engine in
            // Should an expectation below throw, the held handler must still end, or the
            // engine could not stop and the test would hang instead of failing.
            defer { gate.open() }
            engine.submit(Events.message("1", in: "slow", from: "client-1"), receivedAt: Date())
            await read.wait()
            // Another chat counts, commits, and its key leaves memory, while "slow" holds
            // its read of the count before.
            engine.submit(Events.message("2", in: "fast", from: "client-2"), receivedAt: Date())
            try await eventuallyTrue { store.state(bot: "held", key: "count") == Data("1".utf8) && engine.stateBytesInMemory == 0 }
            gate.open()
            await engine.waitUntilIdle()
            #expect(store.state(bot: "held", key: "count") == Data("2".utf8), "the slow handler ran again on the new count")
            #expect(engine.statistics.conflictReruns == 1)
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
        let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)   // no budget applies
        for round in 0..<2 {
            try await withRunningEngine(bots: [CountingBot()], store: store, configuration: configuration) { engine in
                #expect((engine.stateBytesInMemory > 0) == (round > 0), "loaded at start")
                for index in 0..<3 {
                    engine.submit(Events.chat(ChatID("r\(round)-\(index)"), client: UserID("client-\(round)-\(index)")), receivedAt: Date())
                }
                await engine.waitUntilIdle()
                let state = try await engine.state(of: "counter")
                #expect(state["chats"] == Data("\(3 * (round + 1))".utf8))
            }
        }
        #expect(store.inner.state(bot: "counter", key: "chats") == Data("6".utf8))
    }
}
