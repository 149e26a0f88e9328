import AutoAssign
import ChatBotKit
@testable import ChatBotRuntime
import ChatBotTesting
import Foundation
import Testing

@Suite("Inspecting a store", .timeLimit(.minutes(2)))
struct StoreInspectionTests {
    /// Two chats through auto-assign on a real SQLite file: chat 1 goes to a, chat 2 waits.
    private func populatedStore(in folder: URL) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: folder.appendingPathComponent("bots.sqlite").path)
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["a", "b"])
        try await withRunningEngine(bots: [AutoAssignBot(settings: AutoAssignSettings(maxOpenChats: 1))], store: store, configuration: configuration) { engine in
            let now = Date()
            for event: ChatEvent in [
                .online("a"), .chatOpened("1", by: "client-1"), .curatorAssigned("a", to: "1"),
                .message("m1", in: "1", from: "client-1", text: "Hi"), .messageRead(in: "1", upTo: "m1", by: "a"),
                .chatOpened("2", by: "client-2"),
            ] {
                engine.submit(event, receivedAt: now)
                await engine.waitUntilIdle()
            }
        }
        return store
    }

    @Test func theSummaryCountsChatsCuratorsTheQueueAndTheOutbox() async throws {
        try await withTemporaryFolder { folder in
            let store = try await populatedStore(in: folder)
            let summary = try await store.summary()
            #expect(summary.chatsByStatus == ["open": 2])
            #expect(summary.waitingChats == ["2"])
            #expect(summary.curatorsKnown == 1)   // b is only on the roster: no event has told the store about b
            #expect(summary.curatorsOnline == ["a"])
            #expect(summary.outboxPending == 1)   // the assignment of chat 1, not delivered here
            #expect(summary.deadLetters == 0)
        }
    }

    @Test func aChatShowsItsMessagesReadsDecisionsAndActions() async throws {
        try await withTemporaryFolder { folder in
            let store = try await populatedStore(in: folder)
            let chat = try #require(try await store.inspect(chat: "1"))
            #expect(chat.chat.curatorID == "a")
            #expect(chat.chat.messages.map(\.id) == ["m1"])
            #expect(chat.chat.readUpTo["a"] == 1)
            #expect(chat.actions.map(\.action) == [.assignCurator(chatID: "1", curatorID: "a")])
            #expect(chat.actions.first?.status == "pending")
            let decisions = try #require(chat.state.first { $0.key == "decisions.1" })
            #expect(decisions.bot == "auto_assign")
            guard case .array(let list) = decisions.value else {
                Issue.record("decisions are kept as a list")
                return
            }
            #expect(list.first?["picked"] == .string("a"))
            #expect(try await store.inspect(chat: "404") == nil)
            let waiting = try #require(try await store.inspect(chat: "2"))
            #expect(waiting.state.contains { $0.key == "decisions.2" })
            #expect(waiting.actions.isEmpty)
        }
    }

    @Test func deadLettersAreListedAndPutBackWithTheirKeys() async throws {
        try await withTemporaryFolder { folder in
            let store = try await populatedStore(in: folder)
            let entry = try #require(try await store.pendingActions(after: 0, limit: 1).first)
            try await store.settle(try #require(entry.id), as: .deadLetter(reason: "HTTP 404: chat not found"))
            let letters = try await store.deadLetterList()
            #expect(letters.map(\.reason) == ["HTTP 404: chat not found"])
            #expect(try await store.summary().deadLetters == 1)

            #expect(try await store.requeueDeadLetters([999]) == [])
            #expect(try await store.requeueDeadLetters() == [try #require(entry.id)])
            let pending = try await store.pendingActions(after: 0, limit: 100)
            let again = try #require(pending.last)
            #expect(again.idempotencyKey == entry.idempotencyKey)
            #expect(try #require(again.id) > entry.id ?? 0, "at the end of the outbox, where a running delivery's forward read finds it")
            #expect(try await store.deadLetterList().isEmpty)
        }
    }

    @Test func aChatShowsOnlyItsOwnKeysEvenWhenIdsLookAlike() {
        var chat = ChatRecord(id: "77")
        chat.clientID = "5"
        for (key, mine) in [
            ("decisions.77", true), ("clocks.77", true), ("client.5.curator", true),
            ("decisions.5", false), ("client.77.curator", false), ("decisions.177", false), ("a.b.77", false), (".77", false),
        ] {
            #expect(SQLiteStore.key(key, concerns: chat) == mine, "\(key)")
        }
    }

    @Test func aFileThatIsNotAStoreIsRefusedAndLeftAsItIs() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("other.db").path
            try Data("not a database at all".utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: StoreError.self) { try SQLiteStore.existing(at: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("not a database at all".utf8))
        }
    }

    @Test func inspectingNeverCreatesAStore() async throws {
        try await withTemporaryFolder { folder throws in
            let path = folder.appendingPathComponent("missing.sqlite").path
            #expect(throws: StoreError.self) { try SQLiteStore.existing(at: path) }
            #expect(!FileManager.default.fileExists(atPath: path))

            // Nor turns an empty file into one.
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            #expect(throws: StoreError.self) { try SQLiteStore.existing(at: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        }
    }
}
