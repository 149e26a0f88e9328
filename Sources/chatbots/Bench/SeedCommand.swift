import ArgumentParser
import AutoAssign
import ChatBotKit
import ChatBotRuntime
import Foundation

/// `chatbots seed`: writes a new store holding a large desk, for measuring what a big
/// store costs the runtime (memory, start to first event): chats opened by clients,
/// each with two messages and a curator, and SLA timers due later. Ids are numbers, as
/// the backend's are: chats from 1,000,001, clients from 5,000,001, messages from
/// 10,000,001.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Write a new store with many chats and pending timers (for benchmarks).",
        discussion: """
            Used by Scripts/big_store.py:
              chatbots seed --store big.sqlite --chats 100000 --timers 100000
            The store must not exist yet: seeding never touches a store in use.
            """
    )

    @Option(help: "The SQLite file to create.")
    var store: String

    @Option(help: "Chats to open (ids 1000001, 1000002, ...).")
    var chats = 100_000

    @Option(help: "SLA timers to leave pending, one per chat in turn, due one to two hours after now.")
    var timers = 100_000

    @Option(help: "Curators the chats are assigned to in turn (curator-1, ...): the emulator's names.")
    var curators = 40

    @Option(help: "The SLA bot's name, which owns the timers.")
    var timerBot = "sla_alerts"

    @Flag(
        help:
            "Give each chat the state the built-in bots keep for it: auto-assign's decision (every curator a candidate) and the SLA bot's clocks for its two messages."
    )
    var botState = false

    @Option(help: "The auto-assign bot's name, with --bot-state.")
    var assignBot = "auto_assign"

    func validate() throws {
        guard chats > 0 else { throw ValidationError("--chats must be at least 1, not \(chats)") }
        guard timers >= 0 else { throw ValidationError("--timers must not be negative, not \(timers)") }
        guard curators > 0 else { throw ValidationError("--curators must be at least 1, not \(curators)") }
        guard !FileManager.default.fileExists(atPath: store) else {
            throw ValidationError("\(store) exists; seed writes a new store only")
        }
    }

    func run() async throws {
        let sqlite = try SQLiteStore(path: store)
        let roster = (1...curators).map { UserID("curator-\($0)") }
        var world = WorldModel(serviceAccountID: "1000", roster: roster)
        let now = Date()
        let started = ContinuousClock.now
        var batch: [Commit] = []
        for index in 1...chats {
            let chat = Self.chat(index)
            let client = UserID(Int64(5_000_000 + index))
            var change = world.apply(.newChat(NewChat(clientID: client, chatID: chat, chatType: index.isMultiple(of: 2) ? .order : .topic)), at: now)
            for message in 1...2 {
                let text = "Where is my order \(index)? (\(message))"
                change.formUnion(
                    world.apply(
                        .newMessage(
                            ChatMessage(
                                id: Self.message(index, message), senderID: client, chatID: chat, text: text, createdAt: now
                            )), at: now))
            }
            change.formUnion(world.apply(.assignCurator(CuratorAssignment(chatID: chat, curatorID: roster[index % curators])), at: now))
            var commit = world.commit(for: change)
            if botState {
                commit.stateWrites = try botState(for: chat, index: index, roster: roster, now: now)
            }
            if index <= timers {
                commit.timersScheduled = [timer(for: chat, index: index, now: now)]
            }
            batch.append(commit)
            if batch.count == 1_000 || index == chats {
                try await sqlite.commit(batch)
                batch = []
            }
            if index.isMultiple(of: 20_000) { print("  \(index) chats") }
        }
        // More timers than chats: the rest go round the chats again, on later messages.
        var extra: [Commit] = []
        for index in stride(from: chats + 1, through: timers, by: 1) {
            var commit = Commit()
            commit.timersScheduled = [timer(for: Self.chat((index - 1) % chats + 1), index: index, now: now)]
            extra.append(commit)
            if extra.count == 1_000 {
                try await sqlite.commit(extra)
                extra = []
            }
        }
        if !extra.isEmpty { try await sqlite.commit(extra) }
        print(
            "seeded \(store): \(chats) chats, \(chats * 2) messages, \(timers) timers\(botState ? ", bot state" : "") in \(started.duration(to: .now))"
        )
    }

    /// What the built-in bots keep for a chat opened, written twice and assigned: the
    /// assignment decision, and the SLA clocks of its two unread messages (the shape of
    /// `ChatClocks`, which the SLA bot keeps to itself).
    private func botState(for chat: ChatID, index: Int, roster: [UserID], now: Date) throws -> [StoredBotState] {
        let picked = roster[index % curators]
        let decision = AssignmentDecision(
            chatID: chat, decidedAt: now, trigger: "new_chat", strategy: "least_loaded",
            candidates: roster.map { .init(curator: $0, openChats: index / curators, capacity: 1_000, lastAssignedAt: now) },
            excluded: [], tieBreak: "least loaded (\(index / curators) open)", picked: picked
        )
        let clock = { (policy: String, message: Int) -> JSONValue in
            [
                "policy": .string(policy), "message": .string("\(Self.message(index, message))"), "sequence": .integer(Int64(message)),
                "startedAt": .double(now.timeIntervalSinceReferenceDate), "alerted": [],
            ]
        }
        let clocks: JSONValue = [
            "running": [clock("first_response", 1), clock("unread", 1), clock("unread", 2)], "firstResponseDone": false,
        ]
        let encoder = JSONEncoder()
        return [
            StoredBotState(key: StoredStateKey(bot: assignBot, scope: .chat(chat), name: "decisions"), data: try encoder.encode([decision])),
            StoredBotState(key: StoredStateKey(bot: timerBot, scope: .chat(chat), name: "clocks"), data: try encoder.encode(clocks)),
        ]
    }

    private static func chat(_ index: Int) -> ChatID {
        ChatID(Int64(1_000_000 + index))
    }

    private static func message(_ index: Int, _ number: Int) -> MessageID {
        MessageID(Int64(10_000_000 + index * 2 + number))
    }

    /// A timer shaped like the SLA bot's: named by policy, level, chat and message, with
    /// the payload it reads back (the `index`th timer; past the chats, a later message).
    private func timer(for chat: ChatID, index: Int, now: Date) -> StoredTimer {
        let message = Self.message(index, 1)
        let payload = #"{"policy":"unread","chat":"\#(chat)","message":"\#(message)","level":"warning"}"#
        let request = TimerRequest(
            name: "sla.unread.warning.\(message).\(chat)", kind: "sla", fireAt: now.addingTimeInterval(3_600 + Double(index % 3_600)),
            chatID: chat, payload: Array(payload.utf8)
        )
        return StoredTimer(bot: timerBot, request: request)
    }
}
