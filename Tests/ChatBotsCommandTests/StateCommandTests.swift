@testable import chatbots
import ArgumentParser
import AutoAssign
import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import Testing

@Suite("chatbots state", .timeLimit(.minutes(2)))
struct StateCommandTests {
    @Test func aChatReadsAsTheStoryOfWhatWasDecided() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bots.sqlite").path
        let store = try SQLiteStore(path: path)
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["a", "b"])
        try await withRunningEngine(bots: [AutoAssignBot()], store: store, configuration: configuration) { engine in
            for event: ChatEvent in [.online("a"), .offline("b"), .chatOpened("7", by: "client-1"), .message("m1", in: "7", from: "client-1", text: "Hello")] {
                engine.submit(event, receivedAt: Date())
                await engine.waitUntilIdle()
            }
        }

        let text = StateText.chat(try #require(try await store.inspect(chat: "7")))
        #expect(text.hasPrefix("chat 7\n  client:   client-1"))
        #expect(text.contains("assignment decisions:"))
        #expect(text.contains("assigned to a (new_chat, least_loaded, least loaded (0 open)); candidates: a 0/5; excluded: offline: b"))
        #expect(text.contains("auto_assign: assign a to chat 7  → pending"))
        #expect(!text.contains("Hello"), "message text stays out of the human form")

        let summary = StateText.summary(try await store.summary(), store: path)
        #expect(summary.contains("outbox:           1 waiting, 0 delivered, 0 dead letters"))

        // The commands themselves, on the same file: they print, and must not throw.
        try await StateChatCommand.parse(["7", "--store", path]).run()
        try await StateSummaryCommand.parse(["--store", path, "--json"]).run()
        try await StateDeadLettersCommand.parse(["--store", path]).run()
        await #expect(throws: (any Error).self) { try await StateChatCommand.parse(["404", "--store", path]).run() }
        await #expect(throws: (any Error).self) { try await StateSummaryCommand.parse(["--store", folder.appendingPathComponent("none.sqlite").path]).run() }
    }
}
