import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// Asks a classifier about every client message, and tells the chat what it said.
struct ClassifierBot: Bot {
    let name = "classifier"
    let timeout: Duration
    static let classify = CallKind<MessageID>("classify")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event, message.senderID.rawValue.hasPrefix("client") else { return }
        let request = OutsideRequest(url: "http://classifier.local/intent", body: Data((message.text ?? "").utf8), timeout: timeout)
        context.ask(request, as: Self.classify, chat: message.chatID, payload: message.id)
    }

    func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws {
        guard let message = try answer.payload(Self.classify), let chat = answer.chatID else { return }
        switch answer.outcome {
        case .answered(let status, let body): context.send("\(message): \(status) \(String(decoding: body, as: UTF8.self))", to: chat)
        case .failed(let reason): context.send("\(message): failed: \(reason)", to: chat)
        }
    }
}

/// A handler never waits for an outside service: the call goes out once the handler's
/// effects are durable, and its answer comes back as an input of its own.
@Suite("The engine: outside calls", .timeLimit(.minutes(1)))
struct OutsideCallTests {
    @Test func aSlowAnswerDelaysNoOtherChatAndArrivesLaterAsAnInput() async throws {
        let release = AsyncGate()
        let outside = ScriptedOutside { request in
            let text = String(decoding: request.body ?? Data(), as: UTF8.self)
            if text == "slow" { await release.wait() }
            return (200, Data("intent of \(text)".utf8))
        }
        let harness = BotHarness(bots: [ClassifierBot(timeout: .seconds(30))], outside: outside)
        try await harness.run { harness in
            try await harness.send(.message("m1", in: "a", from: "client-1", text: "slow"))
            for index in 2...4 {
                try await harness.send(.message(MessageID("m\(index)"), in: ChatID("c\(index)"), from: UserID("client-\(index)"), text: "fast"))
            }
            // The other chats are answered while the first call is still out.
            try await eventuallyTrue { harness.messages.count == 3 }
            #expect(harness.messages.map(\.chat) == ["c2", "c3", "c4"])
            release.open()
            try await harness.waitForAnswers()
        }
        #expect(
            harness.messages.map(\.text) == ["m2: 200 intent of fast", "m3: 200 intent of fast", "m4: 200 intent of fast", "m1: 200 intent of slow"])
        #expect(outside.requests.count == 4)
        #expect(harness.timers.isEmpty, "no call is left in flight")
    }

    @Test func aFailedOrUnansweredCallIsAnsweredAsFailed() async throws {
        let outside = ScriptedOutside { request in
            struct Refused: Error {}
            if request.body == Data("refuse".utf8) { throw Refused() }
            try await Task.sleep(for: .seconds(3_600))  // never answers
            return (200, Data())
        }
        let harness = BotHarness(bots: [ClassifierBot(timeout: .milliseconds(200))], outside: outside)
        try await harness.run { harness in
            try await harness.send(.message("m1", in: "a", from: "client-1", text: "refuse"))
            try await harness.send(.message("m2", in: "b", from: "client-2", text: "hang"))
            try await harness.waitForAnswers()
        }
        let said = harness.messages.map(\.text)
        #expect(said.contains("m1: failed: Refused()"))
        #expect(said.contains("m2: failed: no answer within 0.2 seconds"))
        #expect(harness.timers.isEmpty)
    }

    /// A call is kept as a durable timer until its answer: one still out when the
    /// runtime stops is answered as failed when it starts again, and never forgotten.
    @Test func aCallOutWhenTheRuntimeStopsIsAnsweredAsFailedOnTheNextStart() async throws {
        let outside = ScriptedOutside { _ in
            try await Task.sleep(for: .seconds(3_600))
            return (200, Data())
        }
        let harness = BotHarness(bots: [ClassifierBot(timeout: .seconds(60))], outside: outside)
        try await harness.run { harness in
            try await harness.send(.message("m1", in: "a", from: "client-1", text: "hello"))
            try await eventuallyTrue { outside.requests.count == 1 }
        }
        #expect(harness.messages.isEmpty)
        #expect(harness.timers.count == 1, "the call is remembered")
        harness.clock.advance(by: .seconds(120))
        try await harness.run { _ in }
        #expect(harness.messages.map(\.text) == ["m1: failed: the runtime stopped before the answer came"])
        #expect(harness.timers.isEmpty)
    }

    @Test func withoutACallerACallFailsAtOnce() async throws {
        let harness = BotHarness(bots: [ClassifierBot(timeout: .seconds(5))])
        try await harness.run { harness in
            try await harness.send(.message("m1", in: "a", from: "client-1", text: "hello"))
            try await harness.waitForAnswers()
        }
        #expect(harness.messages.map(\.text) == ["m1: failed: no outside caller is configured"])
    }
}
