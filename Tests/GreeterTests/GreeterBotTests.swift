import ChatBotKit
import ChatBotTesting
import Greeter
import Testing

@Suite struct GreeterBotTests {
    let settings = GreeterBot.Settings(
        greeting: "Hello! A curator will be with you shortly.",
        tags: ["refund": ["refund", "возврат"], "delivery": ["parcel", "доставк"]],
        nudgeAfter: 600,
        nudge: "Are you still there?"
    )

    @Test func greetsEachNewChatOnce() async throws {
        let harness = BotHarness(bots: [GreeterBot(settings: settings)])
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.chatOpened("7", by: "client-1"))  // repeated after a reconnect
            try await harness.send(.chatOpened("8", by: "client-2"))
        }
        #expect(
            harness.messages == [
                .init(chat: "7", text: "Hello! A curator will be with you shortly."),
                .init(chat: "8", text: "Hello! A curator will be with you shortly."),
            ])
    }

    @Test func tagsChatsByTheClientsWords() async throws {
        let harness = BotHarness(bots: [GreeterBot(settings: settings)], configuration: .init(serviceAccountID: "1000", curatorRoster: ["anna"]))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Хочу оформить ВОЗВРАТ"))
            try await harness.send(.message("m2", in: "7", from: "anna", text: "Parcel is on its way"))  // a curator's words do not tag
            try await harness.send(.message("m3", in: "7", from: "client-1", text: "and where is my parcel?"))
        }
        #expect(try harness.state(GreeterBot.tags("7"), bot: "greeter") == ["refund", "delivery"])
    }

    @Test func aClosedChatLeavesNothingBehind() async throws {
        let harness = BotHarness(bots: [GreeterBot(settings: settings)])
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "refund please"))
            try await harness.send(.statusChanged(of: "7", to: "closed"))
        }
        #expect(try harness.state(GreeterBot.greeted("7"), bot: "greeter") == nil)
        #expect(try harness.state(GreeterBot.tags("7"), bot: "greeter") == nil)
        #expect(harness.timers.isEmpty)
    }

    @Test func nudgesAQuietClientOnlyWhenTheyWroteLast() async throws {
        let harness = BotHarness(bots: [GreeterBot(settings: settings)], configuration: .init(serviceAccountID: "1000", curatorRoster: ["anna"]))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hi"))
            try await harness.advance(by: .minutes(9))
            try await harness.send(.message("m2", in: "7", from: "client-1", text: "Hello?"))  // restarts the quiet period
            try await harness.advance(by: .minutes(9))
            #expect(harness.messages.count == 1)
            try await harness.advance(by: .minutes(1))
            #expect(harness.messages.last?.text == "Are you still there?")
            try await harness.send(.message("m3", in: "7", from: "anna", text: "Here is your answer"))
            try await harness.advance(by: .minutes(30))
        }
        #expect(harness.messages.count == 2)
    }
}
