import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import Testing

private func message(_ id: MessageID, in chat: ChatID) -> ChatEvent {
    .newMessage(ChatMessage(id: id, senderID: UserID("client-\(chat)"), chatID: chat, text: "hi", createdAt: nil))
}

/// Bot state values stay in the SQLite file until a handler asks for them, and leave
/// memory again past the engine's budget: a desk's state grows with every chat it has
/// seen, its memory should not.
@Suite("Bot state read on demand, on a real file", .timeLimit(.minutes(2)))
struct StateOnDemandTests {
    @Test func aRestartedEngineReadsAValueOnlyWhenAHandlerAsksForIt() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            let threeHeld = try await withRunningEngine(bots: [LedgerBot()], store: try SQLiteStore(path: path)) { engine in
                for chat in ["c1", "c2", "c3"] as [ChatID] { engine.submit(message("1", in: chat), receivedAt: Date()) }
                await engine.waitUntilIdle()
                return engine.stateBytesInMemory
            }
            try await withRunningEngine(bots: [LedgerBot()], store: try SQLiteStore(path: path)) { engine in
                #expect(engine.stateBytesInMemory == 0, "no value is read at start")
                engine.submit(message("2", in: "c1"), receivedAt: Date())
                await engine.waitUntilIdle()
                let oneHeld = engine.stateBytesInMemory
                #expect(oneHeld > 0 && oneHeld < threeHeld / 2, "only the value a handler used: \(oneHeld) of \(threeHeld)")
                let state = try await engine.state(of: "ledger")
                #expect(state["seen.c1"] == Data(#"["1","2"]"#.utf8))
                #expect(state["seen.c2"] == Data(#"["1"]"#.utf8) && state["seen.c3"] == Data(#"["1"]"#.utf8))
            }
        }
    }

    @Test func pastItsBudgetTheEngineHoldsOnlyRecentValuesAndLosesNone() async throws {
        try await withTemporaryFolder { folder in
            let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
            let chats = (1...60).map { ChatID("chat-\($0)") }
            let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 200)
            try await withRunningEngine(bots: [LedgerBot()], store: store, configuration: configuration) { engine in
                for round in ["first", "second"] as [MessageID] {
                    for chat in chats { engine.submit(message(round, in: chat), receivedAt: Date()) }
                    await engine.waitUntilIdle()
                    #expect(engine.stateBytesInMemory <= 200, "after the \(round) round")
                }
                #expect(engine.statistics.handlerFailures.isEmpty)
            }
            // Each chat's second handler found the first's value, most of them in the file.
            let stored = try await store.load().botState
            #expect(stored.count == 60)
            #expect(stored.allSatisfy { $0.data == Data(#"["first","second"]"#.utf8) })
        }
    }

    @Test func withNothingHeldAtAllASharedCounterLosesNoUpdate() async throws {
        try await withTemporaryFolder { folder in
            let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
            // A budget of 0: every key leaves memory once durable, so handlers' reads are
            // often of keys let go of before their commit is checked.
            let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)
            try await withRunningEngine(bots: [SharedCounter()], store: store, configuration: configuration) { engine in
                for index in 0..<200 {
                    engine.submit(message(MessageID(Int64(index)), in: ChatID("chat-\(index % 40)")), receivedAt: Date())
                }
                await engine.waitUntilIdle()
                #expect(engine.statistics.handlerFailures.isEmpty)
                #expect(engine.stateBytesInMemory == 0)
            }
            let stored = try await store.load().botState.first { $0.key == "messages" }
            #expect(stored?.data == Data("200".utf8))
        }
    }

    @Test func stateStoredBeforeEpochsIsReadAndWrittenOn() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            var commit = Commit()
            commit.stateWrites = [StoredBotState(bot: "shared", key: "messages", data: Data("41".utf8), version: 5)]
            try await SQLiteStore(path: path).commit([commit])   // as an earlier version numbered it: per key
            try await withRunningEngine(bots: [SharedCounter()], store: try SQLiteStore(path: path)) { engine in
                engine.submit(message("1", in: "c1"), receivedAt: Date())
                await engine.waitUntilIdle()
            }
            let stored = try #require(try await SQLiteStore(path: path).load().botState.first { $0.key == "messages" })
            #expect(stored.data == Data("42".utf8))
            #expect(stored.version == (1 << 40) + 1)
        }
    }

    @Test func aRemovedKeyStaysRemovedAcrossARestartAndEachRunNumbersAnew() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            var rows: [StoredBotState?] = []
            for step in ["set", "remove", "check", "set"] {
                try await withRunningEngine(bots: [FlagBot()], store: try SQLiteStore(path: path)) { engine in
                    engine.submit(message(MessageID(step), in: "c1"), receivedAt: Date())
                    await engine.waitUntilIdle()
                    #expect(engine.statistics.handlerFailures.isEmpty, "at \(step)")
                }
                rows.append(try await SQLiteStore(path: path).load().botState.first { $0.key == "flag" })
            }
            // Run n writes from epoch n: past every version an earlier run stored.
            let epochs: [Int64] = [1, 2, 2, 4]
            let expected: [Int64?] = epochs.map { ($0 << 40) + 1 }
            #expect(rows.map { $0?.version } == expected)
            #expect(rows.map { $0?.data } == [Data(#""set""#.utf8), nil, nil, Data(#""set""#.utf8)])
        }
    }
}

/// Sets, removes, or checks one key, by the message's id; a check that finds a value
/// throws.
private struct FlagBot: Bot {
    struct FoundAValue: Error {}
    let name = "flag"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage(let message) = event else { return }
        switch message.id.rawValue {
        case "set": try context.setState("set", for: "flag")
        case "remove": context.removeState(for: "flag")
        default: if try context.state(String.self, for: "flag") != nil { throw FoundAValue() }
        }
    }
}

/// Counts every message in one key all chats share.
private struct SharedCounter: Bot {
    let name = "shared"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newMessage = event else { return }
        let count = try context.state(Int.self, for: "messages") ?? 0
        await Task.yield()
        try context.setState(count + 1, for: "messages")
    }
}
