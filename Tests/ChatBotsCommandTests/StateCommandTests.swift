import ArgumentParser
import AutoAssign
import ChatBotKit
import ChatBotTesting
import Foundation
import PostgresNIO
import Testing

@testable import ChatBotRuntime
@testable import chatbots

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
            for event: ChatEvent in [
                .online("a"), .offline("b"), .chatOpened("7", by: "client-1"), .message("m1", in: "7", from: "client-1", text: "Hello"),
            ] {
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
        await #expect(throws: (any Error).self) {
            try await StateSummaryCommand.parse(["--store", folder.appendingPathComponent("none.sqlite").path]).run()
        }
    }
}

/// `chatbots state` on a PostgreSQL store, named by the config, its password from the
/// environment (the server `.ci/run` starts; skipped without one unless CI=true).
@Suite(
    "chatbots state on PostgreSQL",
    .enabled(if: ProcessInfo.processInfo.environment["CHATBOTS_TEST_POSTGRES_URL"] != nil || ProcessInfo.processInfo.environment["CI"] == "true"),
    .timeLimit(.minutes(2))
)
struct StateCommandPostgresTests {
    @Test func theSummaryAndAChatReadFromTheDatabaseAndAMissingStoreIsNotMade() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["CHATBOTS_TEST_POSTGRES_URL"], "CI=true needs a PostgreSQL server")
        let schema = "t_state_" + UUID().uuidString.lowercased().prefix(8)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("chatbots.yaml").path
        try """
        server:
          url: ws://127.0.0.1:8080
        auth:
          static_token_env: TOKEN
        service_account_id: 1000
        store:
          postgres:
            url: \(url)
            password_env: CHATBOTS_TEST_POSTGRES_PASSWORD
            schema: \(schema)
            tls: disable
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let options = try StoreOptions.parse(["--config", config])

        // Inspecting never makes a store.
        await #expect(throws: ExitCode(2)) { try await options.open() }

        let section = try #require(try ConfigLoader.load(path: config).store.postgres)
        let password = ProcessInfo.processInfo.environment["CHATBOTS_TEST_POSTGRES_PASSWORD"]
        let store = try await PostgresStore.open(section, password: password, logger: quietLogger)
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["a"])
        try await withRunningEngine(bots: [AutoAssignBot()], store: store, configuration: configuration) { engine in
            for event: ChatEvent in [.online("a"), .chatOpened("7", by: "client-1")] {
                engine.submit(event, receivedAt: Date())
                await engine.waitUntilIdle()
            }
        }
        let (opened, _) = try await options.open()
        #expect(opened.location == "\(section.url) (schema \(schema))")
        let summary = try await opened.summary()
        #expect(summary.chatsByStatus == ["open": 1])
        #expect(summary.outboxPending == 1)
        let text = StateText.summary(summary, store: opened.location)
        #expect(text.contains("schema \(schema)"))
        #expect(text.contains("leader:           none yet"), "\(text)")
        #expect(
            StateText.lease(LeaseState(holder: "host:7:ab", term: 3, expiresIn: 4.25, renewedAgo: 1))
                == "host:7:ab, term 3, lease runs out in 4.2 s, renewed 1.0 s ago")
        await opened.close()
        try await StateSummaryCommand.parse(["--config", config]).run()
        try await StateChatCommand.parse(["7", "--config", config]).run()
        try await StateDeadLettersCommand.parse(["--config", config]).run()
        await #expect(throws: (any Error).self) { try await StateChatCommand.parse(["404", "--config", config]).run() }

        try await store.client.query("DROP SCHEMA \(unescaped: "\"\(schema)\"") CASCADE").drain()
        await store.close()
    }
}
