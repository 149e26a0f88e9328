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

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newChat(let chat) = event else { return }
        let tally = try context.state(Tally.self, for: "tally") ?? Tally(owner: owner, count: 0)
        journal.note("\(chat.chatID):\(tally.count)\(tally.unsaved ? " unsaved" : "")")
        if bumps {
            try context.setState(Tally(owner: owner, count: tally.count + 1, unsaved: true), for: "tally")
        }
    }
}

@Suite("The engine: bot state decoded once, not on every read", .timeLimit(.minutes(2)))
struct DecodedStateTests {
    @Test func aStoredValueNobodyChangesIsDecodedOnceForEveryRead() async throws {
        let owner = "stored-\(UUID())"
        let store = InMemoryStore()
        var seed = Commit()
        seed.stateWrites = [StoredBotState(bot: "tally", key: "tally", data: try JSONEncoder().encode(Tally(owner: owner, count: 7)), version: 1)]
        try await store.commit([seed])
        let journal = Journal()
        try await withEngine([TallyReader(owner: owner, journal: journal)], store: store) { engine in
            // The first read decodes; handlers reading at the same moment may each decode.
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

    /// What a handler reads after another wrote is what the stored bytes decode to, as a
    /// restarted engine would read it, not the writer's value in memory.
    @Test func aWrittenValueIsReadAsItsBytesDecodeAndNoUpdateIsLost() async throws {
        let owner = "written-\(UUID())"
        let store = InMemoryStore()
        let journal = Journal()
        try await withEngine([TallyReader(owner: owner, journal: journal, bumps: true)], store: store) { engine in
            for index in 1...60 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(5_000 + index))), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            let stored = try #require(store.state(bot: "tally", key: "tally"))
            #expect(try JSONDecoder().decode(Tally.self, from: stored) == Tally(owner: owner, count: 60))
        }
        #expect(!journal.entries.contains { $0.hasSuffix("unsaved") }, "\(journal.entries.filter { $0.hasSuffix("unsaved") })")
    }

    @Test func aValueReadAsAnotherTypeIsDecodedAsThatType() async throws {
        let store = InMemoryStore()
        let journal = Journal()
        struct Writer: Bot {
            let name = "typed"
            let journal: Journal

            func handle(_ event: ChatEvent, in context: BotContext) async throws {
                switch event {
                case .newChat:
                    try context.setState(Int64(42), for: "answer")
                case .newMessage:
                    let asInt = try context.state(Int.self, for: "answer")
                    let asDouble = try context.state(Double.self, for: "answer")
                    journal.note("\(asInt.map(String.init) ?? "nil") \(asDouble.map { String($0) } ?? "nil")")
                    #expect(throws: DecodingError.self) { try context.state(String.self, for: "answer") }
                default:
                    break
                }
            }
        }
        try await withEngine([Writer(journal: journal)], store: store) { engine in
            engine.submit(Events.chat("c", client: "client-1"), receivedAt: Date())
            await engine.waitUntilIdle()
            engine.submit(Events.message("1", in: "c", from: "client-1"), receivedAt: Date())
            await engine.waitUntilIdle()
        }
        #expect(journal.entries == ["42 42.0"])
    }
}
