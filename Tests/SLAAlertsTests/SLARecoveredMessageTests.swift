import ChatBotKit
import ChatBotTesting
import Foundation
import SLAAlerts
import Testing

/// A client message the runtime missed while it was not reading, recovered by a
/// catch-up, has waited since it was written: its clocks start from its `created_at`.
@Suite struct SLARecoveredMessageTests {
    /// Chat 7, assigned to anna, with one message the runtime missed.
    private func listing(_ message: OpenChat.Message, downFor: TimeInterval? = nil) -> CatchUpListing {
        CatchUpListing(
            openChats: [
                OpenChat(
                    id: "7", details: ChatDetails(clientID: "client-1", type: .order, status: .open, curatorID: "anna"), messages: [message]
                )
            ], downFor: downFor)
    }

    @Test func aRecoveredMessagesClockStartsWhenItWasWritten() async throws {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let harness = try slaHarness(unreadPolicy, start: start)
        try await harness.run { harness in
            try await harness.catchUp(
                listing(OpenChat.Message(id: "m1", senderID: "client-1", createdAt: start.addingTimeInterval(-100)), downFor: 120))
            try await harness.advance(by: .seconds(19))
            #expect(harness.alerts.isEmpty)
            try await harness.advance(by: .seconds(1))
        }
        let warning = try #require(harness.alerts.first)
        #expect(warning.levelName == "warning")
        #expect(warning.details["waited_seconds"] == .integer(120))
    }

    /// A message written and read during the gap starts no clock that alerts: the read
    /// mark recovered with it stops the clock in the same catch-up.
    @Test func aMessageReadDuringTheGapRaisesNothing() async throws {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let harness = try slaHarness(unreadPolicy, start: start)
        try await harness.run { harness in
            try await harness.catchUp(
                listing(OpenChat.Message(id: "m1", senderID: "client-1", createdAt: start.addingTimeInterval(-900), readBy: ["anna"])))
            try await harness.advance(by: .hours(1))
        }
        #expect(harness.alerts.isEmpty)
        #expect(harness.timers.isEmpty)
    }

    /// A curator who answered live, after the reconnect and before the catch-up came,
    /// answered the message the catch-up then recovers: no clock starts for it.
    @Test func aMessageAnsweredBeforeItWasRecoveredStartsNoClock() async throws {
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let harness = try slaHarness(firstResponsePolicy, start: start)
        try await harness.run { harness in
            try await harness.send([.chatOpened("7", by: "client-1"), .curatorAssigned("anna", to: "7")])
            try await harness.send(.message("r1", in: "7", from: "anna", text: "Here now"))
            try await harness.catchUp(listing(OpenChat.Message(id: "m1", senderID: "client-1", createdAt: start.addingTimeInterval(-60))))
            try await harness.advance(by: .hours(1))
        }
        #expect(harness.alerts.isEmpty)
        #expect(harness.timers.isEmpty)
    }
}
