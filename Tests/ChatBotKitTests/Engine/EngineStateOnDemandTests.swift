import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// Counts messages in one shared key; the handler for chat "slow" waits at a gate
/// between reading the count and writing it.
private struct HoldingCounter: Bot {
    let name = "held"
    let gate: Gate

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        let count = try context.state(Int.self, for: "count") ?? 0
        if message.chatID == "slow" { await gate.wait() }
        try context.setState(count + 1, for: "count")
    }
}

@Suite("The engine: bot state let go of while a handler holds a read", .timeLimit(.minutes(1)))
struct EngineStateOnDemandTests {
    @Test func aReadOfAKeyLetGoOfAndRewrittenSinceIsStaleAtTheCommit() async throws {
        let store = InMemoryStore()
        let gate = Gate()
        // With a budget of 0 every durable key leaves memory after its batch.
        let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)
        try await withEngine([HoldingCounter(gate: gate)], store: store, configuration: configuration) { engine in
            engine.submit(Events.message("1", in: "slow", from: "client-1"), receivedAt: Date())
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
