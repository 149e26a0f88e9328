import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import Testing

private func message(_ id: MessageID, in chat: ChatID) -> ChatEvent {
    .newMessage(ChatMessage(id: id, senderID: UserID("client-\(chat)"), chatID: chat, text: "hi", createdAt: nil))
}

/// Chats' state stays in the SQLite file until the chat is active, and leaves memory
/// again past the engine's budget: a desk's state grows with every chat it has seen,
/// its memory should not.
@Suite("Chats' state read on demand, on a real file", .timeLimit(.minutes(2)))
struct StateOnDemandTests {
    @Test func aRestartedEngineReadsAChatsKeysOnlyWhenTheChatIsActive() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            let threeHeld = try await withRunningEngine(bots: [LedgerBot()], store: try SQLiteStore(path: path)) { engine in
                for chat in ["c1", "c2", "c3"] as [ChatID] { engine.submit(message("1", in: chat), receivedAt: Date()) }
                await engine.waitUntilIdle()
                return engine.stateBytesInMemory
            }
            try await withRunningEngine(bots: [LedgerBot()], store: try SQLiteStore(path: path)) { engine in
                #expect(engine.stateBytesInMemory == 0, "no chat's keys are read at start")
                engine.submit(message("2", in: "c1"), receivedAt: Date())
                await engine.waitUntilIdle()
                let oneHeld = engine.stateBytesInMemory
                #expect(oneHeld > 0 && oneHeld < threeHeld / 2, "only the chat a handler used: \(oneHeld) of \(threeHeld)")
                let state = try await engine.state(of: "ledger")
                #expect(state[LedgerBot.seen("c1").stored(by: "ledger")] == Data(#"["1","2"]"#.utf8))
                #expect(state[LedgerBot.seen("c2").stored(by: "ledger")] == Data(#"["1"]"#.utf8))
                #expect(state[LedgerBot.seen("c3").stored(by: "ledger")] == Data(#"["1"]"#.utf8))
            }
        }
    }

    @Test func pastItsBudgetTheEngineHoldsOnlyRecentChatsAndLosesNothing() async throws {
        try await withTemporaryFolder { folder in
            let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
            let chats = (1...60).map { ChatID("chat-\($0)") }
            let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 2_000)
            try await withRunningEngine(bots: [LedgerBot()], store: store, configuration: configuration) { engine in
                for round in ["first", "second"] as [MessageID] {
                    for chat in chats {
                        engine.submit(message(round, in: chat), receivedAt: Date())
                        await engine.waitUntilIdle()
                    }
                    #expect(engine.stateBytesInMemory <= 2_000, "after the \(round) round")
                }
                #expect(engine.statistics.handlerFailures.isEmpty)
            }
            // Each chat's second handler found the first's value, most of them in the file.
            let stored = try await store.load().botState
            #expect(stored.count == 60)
            #expect(stored.allSatisfy { $0.data == Data(#"["first","second"]"#.utf8) })
        }
    }

    @Test func withNoBudgetAtAllNoUpdateIsLost() async throws {
        try await withTemporaryFolder { folder in
            let store = try SQLiteStore(path: folder.appendingPathComponent("chatbots.sqlite").path)
            // A budget of 0: every chat's keys leave memory once durable, and are read
            // again for its next event, often while the one before is being written.
            let configuration = EngineConfiguration(serviceAccountID: "1000", stateBytesInMemory: 0)
            try await withRunningEngine(bots: [LedgerBot()], store: store, configuration: configuration) { engine in
                for index in 0..<200 {
                    engine.submit(message(MessageID(Int64(index)), in: ChatID("chat-\(index % 40)")), receivedAt: Date())
                }
                await engine.waitUntilIdle()
                #expect(engine.statistics.handlerFailures.isEmpty)
            }
            let stored = try await store.load().botState
            #expect(stored.count == 40)
            #expect(stored.allSatisfy { (try? JSONDecoder().decode([String].self, from: $0.data ?? Data()))?.count == 5 })
        }
    }

    @Test func aRemovedKeyStaysRemovedAcrossARestart() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            var values: [Data?] = []
            for (index, step) in ["set", "remove", "check", "set"].enumerated() {
                try await withRunningEngine(bots: [FlagBot()], store: try SQLiteStore(path: path)) { engine in
                    // Each a message of its own: the same id again would be a repeat, skipped.
                    engine.submit(message(MessageID("\(step).\(index)"), in: "c1"), receivedAt: Date())
                    await engine.waitUntilIdle()
                    #expect(engine.statistics.handlerFailures.isEmpty, "at \(step)")
                }
                values.append(try await SQLiteStore(path: path).load().botState.first { $0.key == FlagBot.flag.stored(by: "flag") }?.data)
            }
            #expect(values == [Data(#""set""#.utf8), nil, nil, Data(#""set""#.utf8)])
        }
    }
}

/// Sets, removes, or checks one key of the chat, by the message's id ("set.0"); a check that
/// finds a value throws.
private struct FlagBot: Bot {
    struct FoundAValue: Error {}
    let name = "flag"
    static let flag = StateKey<String>.chat("c1", "flag")

    func handle(_ event: ChatEvent, in context: BotContext) throws {
        guard case .newMessage(let message) = event else { return }
        switch message.id.rawValue.prefix(while: { $0 != "." }) {
        case "set": context.set(Self.flag, to: "set")
        case "remove": context.remove(Self.flag)
        default: if context.state(Self.flag) != nil { throw FoundAValue() }
        }
    }
}
