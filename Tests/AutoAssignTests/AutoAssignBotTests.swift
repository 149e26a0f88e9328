import AutoAssign
import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// A harness with curators a, b and c on the roster, and the auto-assign bot.
func assignmentHarness(_ settings: AutoAssignSettings) -> BotHarness {
    BotHarness(
        bots: [AutoAssignBot(settings: settings)],
        configuration: EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["a", "b", "c"])
    )
}

extension BotHarness {
    /// Plays the backend: every assignment the bot sent since the last look comes back
    /// as `assign_curator`. Returns them as chat → curator.
    @discardableResult
    func confirmAssignments() async throws -> [ChatID: UserID] {
        var confirmed: [ChatID: UserID] = [:]
        for case .assignCurator(let chat, let curator) in takeActions() {
            confirmed[chat] = curator
            try await send(.curatorAssigned(curator, to: chat))
        }
        return confirmed
    }

    func decisions(_ chat: ChatID) throws -> [AssignmentDecision] {
        try state(AutoAssignBot.decisionsKey(chat), bot: AutoAssignBot.type) ?? []
    }
}

@Suite struct AutoAssignBotTests {
    @Test func leastLoadedBreaksTiesByWhoWaitedLongest() async throws {
        let harness = assignmentHarness(AutoAssignSettings(strategy: .leastLoaded))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send(.chatOpened("1", by: "client-1"))
            #expect(try await harness.confirmAssignments() == ["1": "a"])  // a tie, both never assigned: by id
            try await harness.advance(by: .seconds(10))
            try await harness.send(.chatOpened("2", by: "client-2"))
            #expect(try await harness.confirmAssignments() == ["2": "b"])  // a has one open
            try await harness.advance(by: .seconds(10))
            try await harness.send(.chatOpened("3", by: "client-3"))
            #expect(try await harness.confirmAssignments() == ["3": "a"])  // one each: a waited longer
        }
        let decision = try #require(try harness.decisions("3").last)
        #expect(decision.picked == "a")
        #expect(decision.candidates.map(\.curator) == ["a", "b"])
        #expect(decision.excluded == [.init(curator: "c", reason: "presence not known yet")])
        #expect(decision.tieBreak?.contains("tie among a, b went to whoever waited longest") == true)
    }

    @Test func assignmentsInFlightCountTowardTheLoad() async throws {
        let harness = assignmentHarness(AutoAssignSettings(strategy: .leastLoaded))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            // Two chats before the backend confirms either: they must not both go to a.
            try await harness.send([.chatOpened("1", by: "client-1"), .chatOpened("2", by: "client-2")])
        }
        let picked = harness.actions.compactMap { action -> UserID? in
            guard case .assignCurator(_, let curator) = action else { return nil }
            return curator
        }
        #expect(Set(picked) == ["a", "b"])
    }

    @Test func roundRobinTakesTurns() async throws {
        let harness = assignmentHarness(AutoAssignSettings(strategy: .roundRobin))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b"), .online("c")])
            for chat in 1...4 {
                try await harness.send(.chatOpened(ChatID(Int64(chat)), by: UserID("client-\(chat)")))
                try await harness.confirmAssignments()
            }
        }
        #expect(
            harness.actions == [
                .assignCurator(chatID: "1", curatorID: "a"), .assignCurator(chatID: "2", curatorID: "b"),
                .assignCurator(chatID: "3", curatorID: "c"), .assignCurator(chatID: "4", curatorID: "a"),
            ])
    }

    @Test func aReturningClientGoesBackToTheirCuratorWhenTheyCanTakeIt() async throws {
        let harness = assignmentHarness(AutoAssignSettings(strategy: .sticky))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send(.chatOpened("1", by: "client-1"))
            #expect(try await harness.confirmAssignments() == ["1": "a"])
            try await harness.send(.chatOpened("2", by: "client-2"))
            #expect(try await harness.confirmAssignments() == ["2": "b"])
            try await harness.send(.chatOpened("3", by: "client-3"))
            #expect(try await harness.confirmAssignments() == ["3": "a"])
            // client-2 comes back while b has one chat and a has two: sticky wins over load.
            try await harness.send(.chatOpened("4", by: "client-2"))
            #expect(try await harness.confirmAssignments() == ["4": "b"])
            // client-1 comes back while a is offline: the fallback picks.
            try await harness.send(.offline("a"))
            try await harness.send(.chatOpened("5", by: "client-1"))
            #expect(try await harness.confirmAssignments() == ["5": "b"])
        }
        #expect(try harness.decisions("4").last?.tieBreak == "sticky: the client's last curator")
        #expect(try harness.decisions("5").last?.tieBreak?.hasPrefix("sticky: the client's last curator a cannot take it; least loaded") == true)
    }

    @Test func chatsThatAlreadyHaveACuratorAreLeftAlone() async throws {
        let harness = assignmentHarness(AutoAssignSettings())
        try await harness.run { harness in
            try await harness.send(.online("a"))
            try await harness.send(.curatorAssigned("b", to: "9"))
            try await harness.send(.chatOpened("9", by: "client-9"))
        }
        #expect(harness.actions.isEmpty)
    }

    @Test func everyoneAtCapacityThenOneFreesUp() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 1))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send(.chatOpened("1", by: "client-1"))
            try await harness.send(.chatOpened("2", by: "client-2"))
            #expect(try await harness.confirmAssignments() == ["1": "a", "2": "b"])
            try await harness.send(.chatOpened("3", by: "client-3"))
            try await harness.advance(by: .seconds(5))
            try await harness.send(.chatOpened("4", by: "client-4"))
            #expect(try await harness.confirmAssignments() == [:])
            #expect(try harness.decisions("4").last?.queuePosition == 2)
            // b closes chat 2: the oldest waiting chat, 3, goes to b; 4 still waits.
            try await harness.send(.statusChanged(of: "2", to: "closed"))
            #expect(try await harness.confirmAssignments() == ["3": "b"])
        }
        let waited = try #require(try harness.decisions("3").first)
        #expect(waited.picked == nil && waited.queuePosition == 1)
        #expect(waited.excluded.map(\.reason) == ["at capacity (1/1)", "at capacity (1/1)", "presence not known yet"])
        #expect(try harness.decisions("3").last?.trigger == "capacity_freed")
    }

    @Test func aCuratorComingOnlineTakesTheWaitingChats() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 2))
        try await harness.run { harness in
            try await harness.send(.chatOpened("1", by: "client-1"))
            try await harness.advance(by: .seconds(1))
            try await harness.send(.chatOpened("2", by: "client-2"))
            try await harness.advance(by: .seconds(1))
            try await harness.send(.chatOpened("3", by: "client-3"))
            #expect(harness.takeActions().isEmpty)
            try await harness.send(.online("c"))
        }
        // Oldest first, up to c's capacity; chat 3 keeps waiting.
        #expect(harness.actions == [.assignCurator(chatID: "1", curatorID: "c"), .assignCurator(chatID: "2", curatorID: "c")])
        #expect(try harness.decisions("1").last?.trigger == "curator_online")
    }

    @Test func presenceFlappingWithinTheGracePeriodMovesNothing() async throws {
        let harness = assignmentHarness(AutoAssignSettings(presenceGrace: 120, reassignOfflineAfter: 300))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send(.chatOpened("1", by: "client-1"))
            #expect(try await harness.confirmAssignments() == ["1": "a"])
            for _ in 1...3 {  // a's connection flaps: away a minute, back, again
                try await harness.send(.offline("a"))
                try await harness.advance(by: .seconds(60))
                try await harness.send(.online("a"))
                try await harness.advance(by: .seconds(240))
            }
            #expect(harness.takeActions().isEmpty)
            // Then a leaves for good: after five minutes chat 1 moves to b.
            try await harness.send(.offline("a"))
            try await harness.advance(by: .seconds(299))
            #expect(harness.takeActions().isEmpty)
            try await harness.advance(by: .seconds(1))
            #expect(try await harness.confirmAssignments() == ["1": "b"])
        }
        let moved = try #require(try harness.decisions("1").last)
        #expect(moved.trigger == "curator_offline")
        #expect(moved.excluded.first == .init(curator: "a", reason: "the chat is moving away from them"))
    }

    @Test func aChatThatMustMoveWaitsUntilSomeoneCanTakeIt() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 1, presenceGrace: 60, reassignOfflineAfter: 300))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send(.chatOpened("1", by: "client-1"))
            try await harness.send(.chatOpened("2", by: "client-2"))
            #expect(try await harness.confirmAssignments() == ["1": "a", "2": "b"])
            try await harness.send(.offline("a"))
            try await harness.advance(by: .seconds(300))
            #expect(harness.takeActions().isEmpty)  // b is full: chat 1 waits, still a's
            #expect(try harness.decisions("1").last?.queuePosition == 1)
            try await harness.send(.statusChanged(of: "2", to: "closed"))
        }
        #expect(harness.actions.last == .assignCurator(chatID: "1", curatorID: "b"))
    }

    @Test func aNewChatDoesNotJumpTheQueue() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 1))
        try await harness.run { harness in
            try await harness.send(.online("a"))
            try await harness.send(.chatOpened("1", by: "client-1"))
            #expect(try await harness.confirmAssignments() == ["1": "a"])
            try await harness.send(.chatOpened("2", by: "client-2"))  // a is full: chat 2 waits
            // Someone moves chat 1 to c by hand: a has a seat again, and nothing drained.
            try await harness.send(.curatorAssigned("c", to: "1"))
            try await harness.send(.chatOpened("3", by: "client-3"))
        }
        #expect(harness.actions.last == .assignCurator(chatID: "2", curatorID: "a"))
        #expect(try harness.decisions("3").last?.queuePosition == 1)
    }

    @Test func anAssignmentNeverConfirmedPutsTheChatBackInTheQueue() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 1))
        try await harness.run { harness in
            try await harness.send(.online("a"))
            try await harness.send(.chatOpened("1", by: "client-1"))  // the backend never confirms it
            try await harness.advance(by: .minutes(11))
            try await harness.send(.online("b"))
        }
        let assignments = harness.actions.filter { $0.kind == "assign_curator" }
        #expect(assignments.count == 2)
        #expect(assignments.allSatisfy { $0.chatID == "1" })
    }

    @Test func curatorsTakeOnlyTheChatTypesTheyMay() async throws {
        let settings = AutoAssignSettings(curators: ["a": .init(chatTypes: [.order])])
        let harness = assignmentHarness(settings)
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send(.chatOpened("1", by: "client-1", type: .topic))
            try await harness.send(.chatOpened("2", by: "client-2", type: .order))
        }
        #expect(harness.actions == [.assignCurator(chatID: "1", curatorID: "b"), .assignCurator(chatID: "2", curatorID: "a")])
        #expect(try harness.decisions("1").last?.excluded.first == .init(curator: "a", reason: "may not take topic chats"))
    }

    @Test func aWaitingChatNobodyMayTakeDoesNotHoldUpTheOnesBehindIt() async throws {
        let harness = assignmentHarness(
            AutoAssignSettings(maxOpenChats: 1, curators: ["a": .init(chatTypes: [.order]), "b": .init(chatTypes: [.topic])]))
        try await harness.run { harness in
            try await harness.send(.online("b"))
            try await harness.send(.chatOpened("1", by: "client-1", type: .topic))
            #expect(try await harness.confirmAssignments() == ["1": "b"])
            try await harness.send(.chatOpened("2", by: "client-2", type: .topic))  // b is full
            try await harness.send(.chatOpened("3", by: "client-3", type: .order))  // a is away
            try await harness.send(.chatOpened("4", by: "client-4", type: .order))
            #expect(harness.takeActions().isEmpty)
            try await harness.send(.online("a"))
        }
        // The topic chat at the head of the queue waits for b; a takes the first order chat.
        #expect(harness.actions.last == .assignCurator(chatID: "3", curatorID: "a"))
        #expect(try harness.decisions("2").count == 1)
        #expect(try harness.decisions("4").last?.queuePosition == 3)
    }

    @Test func curatorsFromTheWorldAndTheOptionsAreWeighedOnceEachInIdOrder() async throws {
        let options: [String: AutoAssignSettings.Curator] = ["b": .init(maxOpenChats: 3), "d": .init(), "0": .init()]
        let harness = BotHarness(
            bots: [AutoAssignBot(settings: AutoAssignSettings(curators: options))],
            configuration: EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["c", "a", "b"])
        )
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("d")])
            try await harness.send(.chatOpened("1", by: "client-1"))
        }
        let decision = try #require(try harness.decisions("1").last)
        #expect(decision.candidates.map(\.curator) == ["a", "d"])
        #expect(decision.excluded.map(\.curator) == ["0", "b", "c"])
        #expect(decision.candidates.first?.capacity == 5 && decision.excluded.count == 3)
    }

    @Test func curatorsTakeOnlyTopicsTheyCoverByDirectoryOrOptions() async throws {
        let harness = BotHarness(
            bots: [AutoAssignBot(settings: AutoAssignSettings(curators: ["c": .init(topics: ["returns"])]))],
            configuration: EngineConfiguration(
                serviceAccountID: "1000", curatorRoster: ["a", "b", "c"],
                chatDetails: FixedChatDetails(topics: ["1": "billing", "2": "delivery", "3": "returns"])
            )
        )
        try await harness.run { harness in
            // The directory says a covers billing and b delivery; the options say c covers returns.
            try await harness.learnDirectory([
                .init(curatorID: "a", topics: ["billing"]), .init(curatorID: "b", topics: ["delivery"]),
                .init(curatorID: "c", topics: ["billing", "delivery"]),
            ])
            try await harness.send([.online("a"), .online("b"), .online("c")])
            for chat in 1...4 {
                try await harness.send(.chatOpened(ChatID(Int64(chat)), by: UserID("client-\(chat)"), type: .topic))
                try await harness.confirmAssignments()
            }
        }
        let assigned = harness.actions.compactMap { action -> String? in
            guard case .assignCurator(let chat, let curator) = action else { return nil }
            return "\(chat)→\(curator)"
        }
        // Chat 4 has no topic: anyone may take it, and the least loaded tie goes to whoever waited longest.
        #expect(assigned == ["1→a", "2→b", "3→c", "4→a"])
        #expect(try harness.decisions("1").last?.excluded.map(\.reason) == ["does not cover the topic billing", "does not cover the topic billing"])
        #expect(harness.world?.chats["2"]?.topic == "delivery")
        #expect(harness.world?.users["a"]?.topics == ["billing"])
    }

    @Test func aRestartKeepsTheQueue() async throws {
        let harness = assignmentHarness(AutoAssignSettings())
        try await harness.run { harness in
            try await harness.send(.chatOpened("1", by: "client-1"))
        }
        try await harness.run { harness in
            try await harness.send(.online("b"))
        }
        #expect(harness.actions == [.assignCurator(chatID: "1", curatorID: "b")])
    }

    @Test(arguments: [
        (#"{"strategy": "random"}"#, "random"),
        (#"{"max_open_chats": 0}"#, "must be at least 1"),
        (#"{"sticky_fallback": "sticky"}"#, "must be least_loaded or round_robin"),
        (#"{"curators": {"a": {"max_chats": 3}}}"#, "unknown key \"max_chats\"; known keys: chat_types, max_open_chats, topics"),
        (#"{"reassign_offline_after": "later"}"#, "\"later\" is not a duration"),
    ])
    func badOptionsAreRefusedWithTheReason(json: String, reason: String) {
        #expect {
            try StrictDecoding.decode(AutoAssignSettings.self, fromJSON: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
