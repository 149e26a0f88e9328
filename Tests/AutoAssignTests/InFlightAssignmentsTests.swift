@testable import AutoAssign
import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// Assignments in flight live under a key per curator, with a pointer per chat; a store
/// written when they were one map inside the shared state is moved over on first use.
@Suite struct InFlightAssignmentsTests {
    @Test func aStoreWithTheOldSharedMapIsMovedOverAndItsAssignmentsStillCount() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 1))
        var legacy = AutoAssignState()
        legacy.pending = ["1": .init(curator: "a", at: harness.clock.now())]
        try await harness.store.commit([{
            var commit = Commit()
            commit.stateWrites = [StoredBotState(bot: AutoAssignBot.type, key: AutoAssignState.key, data: try JSONEncoder().encode(legacy), version: 1)]
            return commit
        }()])

        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            // a's seat is taken by chat 1, still in flight from before the upgrade.
            try await harness.send(.chatOpened("2", by: "client-2"))
        }
        #expect(harness.actions == [.assignCurator(chatID: "2", curatorID: "b")])
        let shared = try #require(try harness.state(AutoAssignState.self, bot: AutoAssignBot.type, key: AutoAssignState.key))
        #expect(shared.pending.isEmpty, "moved out of the shared state")
        #expect(try harness.state([ChatID: Date].self, bot: AutoAssignBot.type, key: InFlightAssignments.curatorKey("a"))?.keys.sorted() == ["1"])
        #expect(try harness.state(UserID.self, bot: AutoAssignBot.type, key: InFlightAssignments.chatKey("1")) == "a")

        // The backend's echo of the old assignment takes it out of flight.
        try await harness.run { harness in
            try await harness.send(.curatorAssigned("a", to: "1"))
        }
        #expect(try harness.state([ChatID: Date].self, bot: AutoAssignBot.type, key: InFlightAssignments.curatorKey("a")) == nil)
        #expect(try harness.state(UserID.self, bot: AutoAssignBot.type, key: InFlightAssignments.chatKey("1")) == nil)
    }

    /// A leftover entry under one curator while the chat's pointer names another (a
    /// newer assignment) expires alone: the newer assignment stays in flight.
    @Test func aStaleEntryExpiresWithoutTouchingTheNewerAssignment() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 5))
        let now = harness.clock.now()
        let bot = AutoAssignBot.type
        let writes: [(String, Data)] = [
            (InFlightAssignments.curatorKey("c"), try JSONEncoder().encode([ChatID("9"): now.addingTimeInterval(-1_200)])),
            (InFlightAssignments.curatorKey("b"), try JSONEncoder().encode([ChatID("9"): now])),
            (InFlightAssignments.chatKey("9"), try JSONEncoder().encode(UserID("b"))),
        ]
        try await harness.store.commit([{
            var commit = Commit()
            commit.stateWrites = writes.map { StoredBotState(bot: bot, key: $0.0, data: $0.1, version: 1) }
            return commit
        }()])
        try await harness.run { harness in
            try await harness.send(.chatOpened("9", by: "client-9"))
            try await harness.send(.online("a"))   // a decision: expiry is looked at
        }
        #expect(harness.actions.isEmpty, "chat 9 is in flight to b: neither assigned again nor queued")
        #expect(try harness.state([ChatID: Date].self, bot: bot, key: InFlightAssignments.curatorKey("c")) == nil)
        #expect(try harness.state(UserID.self, bot: bot, key: InFlightAssignments.chatKey("9")) == "b")
        #expect(try harness.state([ChatID: Date].self, bot: bot, key: InFlightAssignments.curatorKey("b"))?.keys.sorted() == ["9"])
        #expect(try harness.state(AutoAssignState.self, bot: bot, key: AutoAssignState.key)?.queue.isEmpty ?? true)
    }

    @Test func aConfirmationRewritesOnlyItsCuratorsAssignments() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 5))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send([.chatOpened("1", by: "client-1"), .chatOpened("2", by: "client-2")])
        }
        let inFlight = { (curator: UserID) in
            try harness.state([ChatID: Date].self, bot: AutoAssignBot.type, key: InFlightAssignments.curatorKey(curator)) ?? [:]
        }
        let before = (a: try inFlight("a"), b: try inFlight("b"))
        #expect(Set(before.a.keys).union(before.b.keys) == ["1", "2"])
        let (chatOfA, chatOfB) = (try #require(before.a.keys.first), try #require(before.b.keys.first))
        try await harness.run { harness in
            try await harness.send(.curatorAssigned("a", to: chatOfA))
        }
        #expect(try inFlight("a").isEmpty)
        #expect(try inFlight("b") == before.b)
        #expect(try harness.state(UserID.self, bot: AutoAssignBot.type, key: InFlightAssignments.chatKey(chatOfB)) == "b")
    }
}
