import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// A state value that counts how often it is decoded, in a counter each test owns.
struct Tally: Codable, Sendable, Equatable {
    static let decodes = Mutex<[String: Int]>([:])

    var owner: String
    var count: Int
    /// Not stored: a value read back from the store always has it `false`.
    var unsaved = false

    private enum CodingKeys: String, CodingKey {
        case owner, count
    }

    init(owner: String, count: Int, unsaved: Bool = false) {
        self.owner = owner
        self.count = count
        self.unsaved = unsaved
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        owner = try container.decode(String.self, forKey: .owner)
        count = try container.decode(Int.self, forKey: .count)
        Self.decodes.withLock { $0[owner, default: 0] += 1 }
    }

    static func decodeCount(of owner: String) -> Int {
        decodes.withLock { $0[owner] ?? 0 }
    }
}

/// Reads one shared tally on every new chat and records what it saw; bumps it only
/// when told to.
struct TallyReader: Bot {
    let name = "tally"
    let owner: String
    let journal: Journal
    var bumps = false

    static let tally = StateKey<Tally>.bot("tally")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newChat(let chat) = event else { return }
        let tally = context.state(Self.tally) ?? Tally(owner: owner, count: 0)
        journal.note("\(chat.chatID):\(tally.count)\(tally.unsaved ? " unsaved" : "")")
        if bumps {
            context.set(Self.tally, to: Tally(owner: owner, count: tally.count + 1, unsaved: true))
        }
    }
}

let tallyKey = StoredStateKey(bot: "tally", scope: .bot, name: "tally")

@Suite("The engine: bot state decoded once, not on every read", .timeLimit(.minutes(2)))
struct DecodedStateTests {
    @Test func aStoredValueNobodyChangesIsDecodedOnceForEveryRead() async throws {
        let owner = "stored-\(UUID())"
        let store = InMemoryStore()
        var seed = Commit()
        seed.stateWrites = [StoredBotState(key: tallyKey, data: try JSONEncoder().encode(Tally(owner: owner, count: 7)))]
        try await store.commit([seed])
        let journal = Journal()
        try await withEngine([TallyReader(owner: owner, journal: journal)], store: store) { engine in
            // The first read decodes; every later one finds the value.
            engine.submit(Events.chat(ChatID(0), client: UserID(5_000)), receivedAt: Date())
            await engine.waitUntilIdle()
            for index in 1...40 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(5_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
        }
        #expect(journal.entries.count == 41)
        #expect(journal.entries.allSatisfy { $0.hasSuffix(":7") }, "every reader saw the stored value")
        #expect(Tally.decodeCount(of: owner) == 1)
    }

    /// A written value is held as written (a state type's `Codable` must round-trip,
    /// since a restarted engine reads what its bytes decode to), and no update is lost.
    @Test func aWrittenValueIsReadAsWrittenAndNoUpdateIsLost() async throws {
        let owner = "written-\(UUID())"
        let store = InMemoryStore()
        let journal = Journal()
        try await withEngine([TallyReader(owner: owner, journal: journal, bumps: true)], store: store) { engine in
            for index in 1...60 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(5_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            let stored = try #require(store.state(tallyKey))
            #expect(try JSONDecoder().decode(Tally.self, from: stored) == Tally(owner: owner, count: 60))
        }
        #expect(journal.entries.last == "60:59 unsaved", "the value as written, not decoded again")
        #expect(Tally.decodeCount(of: owner) == 1, "only the test's own read of the stored bytes decodes")
    }

    @Test func aValueReadAsAnotherTypeIsDecodedAsThatType() async throws {
        let store = InMemoryStore()
        let journal = Journal()
        struct Writer: Bot {
            let name = "typed"
            let journal: Journal

            func handle(_ event: ChatEvent, in context: BotContext) {
                switch event {
                case .newChat:
                    context.set(StateKey<Int64>.bot("answer"), to: 42)
                case .newMessage(let message):
                    let asInt = context.state(StateKey<Int>.bot("answer"))
                    let asDouble = context.state(StateKey<Double>.bot("answer"))
                    journal.note("\(asInt.map(String.init) ?? "nil") \(asDouble.map { String($0) } ?? "nil")")
                    if message.text == "as text" {
                        // Unreadable as a string: nil, and the handler's effects are dropped.
                        journal.note(context.state(StateKey<String>.bot("answer")) ?? "nil")
                        context.send("never", to: message.chatID)
                    }
                default:
                    break
                }
            }
        }
        try await withEngine([Writer(journal: journal)], store: store) { engine in
            engine.submit(Events.chat("c", client: "client-1"), receivedAt: Date())
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: Date())
            engine.submit(Events.message("2", in: "c", from: "client-1", "as text"), receivedAt: Date())
            await engine.waitUntilIdle()
            #expect(engine.statistics.handlerFailures == ["typed": 1])
        }
        #expect(journal.entries == ["42 42.0", "42 42.0", "nil"])
        #expect(store.committedActions.isEmpty)
    }

    /// JSON holds no NaN: such a value is not stored, and the log names the bot and the
    /// key; the other writes of the batch are stored, and the engine goes on.
    @Test func aValueJSONCannotHoldIsNotStoredAndSaysSo() async throws {
        struct Averager: Bot {
            let name = "averager"
            func handle(_ event: ChatEvent, in context: BotContext) {
                guard case .newMessage(let message) = event else { return }
                context.set(StateKey<Double>.chat(message.chatID, "average"), to: message.text == "nan" ? .nan : 1.5)
                context.set(StateKey<String>.chat(message.chatID, "last"), to: message.id.rawValue)
            }
        }
        let store = InMemoryStore()
        let logs = LogCapture()
        try await withRunningEngine(bots: [Averager()], store: store, logger: logs.logger) { engine in
            engine.submit(Events.message("1", in: "a", from: "client-1", "nan"), receivedAt: Date())
            engine.submit(Events.message("2", in: "b", from: "client-2", "fine"), receivedAt: Date())
            await engine.waitUntilIdle()
        }
        #expect(store.state(StoredStateKey(bot: "averager", scope: .chat("a"), name: "average")) == nil)
        #expect(store.state(StoredStateKey(bot: "averager", scope: .chat("a"), name: "last")) == Data(#""1""#.utf8))
        #expect(store.state(StoredStateKey(bot: "averager", scope: .chat("b"), name: "average")) == Data("1.5".utf8))
        let line = try #require(logs.lines.first { $0.message.contains("could not be encoded") })
        #expect(line.metadata["bot.name"] == "averager")
        #expect(line.metadata["state.key"] == "chat:a:average")
    }
}
