import AutoAssign
import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

@testable import ChatBotRuntime

@Suite("Inspecting a store", .timeLimit(.minutes(2)))
struct StoreInspectionTests {
    /// Two chats through auto-assign on a real store: chat 1 goes to a, chat 2 waits.
    private func populatedStore(at site: StoreSite) async throws -> any RuntimeStore {
        let store = try await site.open()
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["a", "b"])
        try await withRunningEngine(bots: [AutoAssignBot(settings: AutoAssignSettings(maxOpenChats: 1))], store: store, configuration: configuration)
        { engine in
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

    @Test(arguments: StoreKind.available) func theSummaryCountsChatsCuratorsTheQueueAndTheOutbox(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try await populatedStore(at: site)
            let summary = try await store.summary()
            #expect(summary.chatsByStatus == ["open": 2])
            #expect(summary.waitingChats == ["2"])
            #expect(summary.curatorsKnown == 1)  // b is only on the roster: no event has told the store about b
            #expect(summary.curatorsOnline == ["a"])
            #expect(summary.outboxPending == 1)  // the assignment of chat 1, not delivered here
            #expect(summary.deadLetters == 0)
        }
    }

    @Test(arguments: StoreKind.available) func aChatShowsItsMessagesReadsDecisionsAndActions(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try await populatedStore(at: site)
            let chat = try #require(try await store.inspect(chat: "1"))
            #expect(chat.chat.curatorID == "a")
            #expect(chat.chat.messages.map(\.id) == ["m1"])
            #expect(chat.chat.readUpTo["a"] == 1)
            #expect(chat.actions.map(\.action) == [.assignCurator(chatID: "1", curatorID: "a")])
            #expect(chat.actions.first?.status == "pending")
            let decisions = try #require(chat.state.first { $0.key == "chat:1:decisions" })
            #expect(decisions.bot == "auto_assign")
            guard case .array(let list) = decisions.value else {
                Issue.record("decisions are kept as a list")
                return
            }
            #expect(list.first?["picked"] == .string("a"))
            #expect(try await store.inspect(chat: "404") == nil)
            let waiting = try #require(try await store.inspect(chat: "2"))
            #expect(waiting.state.contains { $0.key == "chat:2:decisions" })
            #expect(waiting.actions.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func deadLettersAreListedAndPutBackWithTheirKeys(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try await populatedStore(at: site)
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

    /// A chat's keys are its own by scope: ids that look alike (7, 77, 177, a client
    /// whose id is another chat's) cannot mix them up.
    @Test(arguments: StoreKind.available) func aChatShowsOnlyItsOwnKeysAndItsClientsEvenWhenIdsLookAlike(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try await site.open()
            var world = WorldModel(serviceAccountID: "1000")
            let change = world.apply(.chatOpened("77", by: "5"), at: Date())
            var commit = world.commit(for: change)
            let keys: [StoredStateKey] = [
                .init(bot: "b", scope: .chat("77"), name: "decisions"), .init(bot: "b", scope: .user("5"), name: "last_curator"),
                .init(bot: "b", scope: .chat("5"), name: "decisions"), .init(bot: "b", scope: .user("77"), name: "last_curator"),
                .init(bot: "b", scope: .chat("177"), name: "decisions"), .init(bot: "b", scope: .bot, name: "77"),
            ]
            commit.stateWrites = keys.map { StoredBotState(key: $0, data: Data("1".utf8)) }
            try await store.commit([commit])
            let inspection = try #require(try await store.inspect(chat: "77"))
            #expect(inspection.state.map(\.key) == ["chat:77:decisions", "user:5:last_curator"])
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
