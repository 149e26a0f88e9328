import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

@testable import AutoAssign

/// Assignments in flight live under a key per curator, with a pointer per chat; a store
/// written when they were one map inside the shared state is moved over on first use.
@Suite struct InFlightAssignmentsTests {
    @Test func aStoreWithTheOldSharedMapIsMovedOverAndItsAssignmentsStillCount() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 1))
        var legacy = AutoAssignState()
        legacy.pending = ["1": .init(curator: "a", at: harness.clock.now())]
        try await harness.store.commit([
            {
                var commit = Commit()
                commit.stateWrites = [StoredBotState(key: AutoAssignState.key.stored(by: AutoAssignBot.type), data: try JSONEncoder().encode(legacy))]
                return commit
            }()
        ])

        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            // a's seat is taken by chat 1, still in flight from before the upgrade.
            try await harness.send(.chatOpened("2", by: "client-2"))
        }
        #expect(harness.actions == [.assignCurator(chatID: "2", curatorID: "b")])
        let shared = try #require(try harness.state(AutoAssignState.key, bot: AutoAssignBot.type))
        #expect(shared.pending.isEmpty, "moved out of the shared state")
        #expect(try harness.state(InFlightAssignments.curatorKey("a"), bot: AutoAssignBot.type)?.keys.sorted() == ["1"])
        #expect(try harness.state(InFlightAssignments.chatKey("1"), bot: AutoAssignBot.type) == "a")

        // The backend's echo of the old assignment takes it out of flight.
        try await harness.run { harness in
            try await harness.send(.curatorAssigned("a", to: "1"))
        }
        #expect(try harness.state(InFlightAssignments.curatorKey("a"), bot: AutoAssignBot.type) == nil)
        #expect(try harness.state(InFlightAssignments.chatKey("1"), bot: AutoAssignBot.type) == nil)
    }

    /// A leftover entry under one curator while the chat's pointer names another (a
    /// newer assignment) expires alone: the newer assignment stays in flight.
    @Test func aStaleEntryExpiresWithoutTouchingTheNewerAssignment() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 5))
        let now = harness.clock.now()
        let bot = AutoAssignBot.type
        let writes: [(StoredStateKey, Data)] = [
            (InFlightAssignments.curatorKey("c").stored(by: bot), try JSONEncoder().encode([ChatID("9"): now.addingTimeInterval(-1_200)])),
            (InFlightAssignments.curatorKey("b").stored(by: bot), try JSONEncoder().encode([ChatID("9"): now])),
            (InFlightAssignments.chatKey("9").stored(by: bot), try JSONEncoder().encode(UserID("b"))),
        ]
        try await harness.store.commit([
            {
                var commit = Commit()
                commit.stateWrites = writes.map { StoredBotState(key: $0.0, data: $0.1) }
                return commit
            }()
        ])
        try await harness.run { harness in
            try await harness.send(.chatOpened("9", by: "client-9"))
            try await harness.send(.online("a"))  // a decision: expiry is looked at
        }
        #expect(harness.actions.isEmpty, "chat 9 is in flight to b: neither assigned again nor queued")
        #expect(try harness.state(InFlightAssignments.curatorKey("c"), bot: bot) == nil)
        #expect(try harness.state(InFlightAssignments.chatKey("9"), bot: bot) == "b")
        #expect(try harness.state(InFlightAssignments.curatorKey("b"), bot: bot)?.keys.sorted() == ["9"])
        #expect(try harness.state(AutoAssignState.key, bot: bot)?.queue.isEmpty ?? true)
    }

    @Test func aConfirmationRewritesOnlyItsCuratorsAssignments() async throws {
        let harness = assignmentHarness(AutoAssignSettings(maxOpenChats: 5))
        try await harness.run { harness in
            try await harness.send([.online("a"), .online("b")])
            try await harness.send([.chatOpened("1", by: "client-1"), .chatOpened("2", by: "client-2")])
        }
        let inFlight = { (curator: UserID) in
            try harness.state(InFlightAssignments.curatorKey(curator), bot: AutoAssignBot.type) ?? [:]
        }
        let before = (a: try inFlight("a"), b: try inFlight("b"))
        #expect(Set(before.a.keys).union(before.b.keys) == ["1", "2"])
        let (chatOfA, chatOfB) = (try #require(before.a.keys.first), try #require(before.b.keys.first))
        try await harness.run { harness in
            try await harness.send(.curatorAssigned("a", to: chatOfA))
        }
        #expect(try inFlight("a").isEmpty)
        #expect(try inFlight("b") == before.b)
        #expect(try harness.state(InFlightAssignments.chatKey(chatOfB), bot: AutoAssignBot.type) == "b")
    }
}
