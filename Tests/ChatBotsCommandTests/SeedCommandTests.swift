import ArgumentParser
import AutoAssign
import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import SLAAlerts
import Testing

@testable import chatbots

@Suite("chatbots seed", .timeLimit(.minutes(2)))
struct SeedCommandTests {
    @Test func aSeededStoreHoldsTheDeskAndTheBuiltInBotsReadTheirState() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("big.sqlite").path
        try await SeedCommand.parse(["--store", path, "--chats", "3", "--timers", "4", "--curators", "2", "--bot-state"]).run()
        #expect(throws: (any Error).self, "a store in use is never seeded") {
            try SeedCommand.parse(["--store", path, "--chats", "3"])
        }

        let store = try SQLiteStore(path: path)
        let snapshot = try await store.load()
        #expect(snapshot.chats.map(\.id).sorted() == ["1000001", "1000002", "1000003"])
        #expect(snapshot.timers.count == 4)
        #expect(
            Set(snapshot.botState.map(\.key.description)) == [
                "chat:1000001:decisions", "chat:1000002:decisions", "chat:1000003:decisions",
                "chat:1000001:clocks", "chat:1000002:clocks", "chat:1000003:clocks",
            ])
        let decisionBytes = try #require(snapshot.botState.first { $0.key.description == "chat:1000001:decisions" }?.data)
        let decision = try #require(try JSONDecoder().decode([AssignmentDecision].self, from: decisionBytes).first)
        #expect(decision.picked == "curator-2")
        #expect(decision.candidates.map(\.curator) == ["curator-1", "curator-2"])

        // The SLA bot takes the seeded clocks for its own: a curator's reply stops them
        // and cancels their timers.
        let sla = SLAAlertsBot(
            settings: SLAAlertsSettings(policies: [
                SLAPolicy(kind: .firstResponse, breach: .init(seconds: 600)),
                SLAPolicy(kind: .unread, warning: .init(seconds: 120), breach: .init(seconds: 600)),
            ]))
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["curator-1", "curator-2"])
        let failures = try await withRunningEngine(bots: [sla], store: store, configuration: configuration) { engine in
            engine.submit(.message("m-reply", in: "1000001", from: "curator-2", text: "On its way"), receivedAt: Date())
            await engine.waitUntilIdle()
            return engine.statistics.handlerFailures
        }
        #expect(failures.isEmpty)
        let after = try await store.load()
        let clocks = try #require(after.botState.first { $0.key.description == "chat:1000001:clocks" }?.data)
        let read = try JSONDecoder().decode(JSONValue.self, from: clocks)
        #expect(read["running"] == .array([]))
        #expect(read["firstResponseDone"] == .bool(true))
        #expect(!after.timers.contains { $0.request.name == "sla.unread.warning.10000003.1000001" })
        #expect(after.timers.count == 3)
    }
}
