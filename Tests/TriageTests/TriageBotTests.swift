import ChatBotKit
import ChatBotTesting
import Foundation
import Testing
import Triage

@Suite("The triage example: a bot that asks a classifier")
struct TriageBotTests {
    static let settings = TriageBot.Settings(classifierURL: "http://classifier.test/route")

    /// A classifier that answers every chat with `verdict`, as JSON.
    static func classifier(_ verdict: String, status: Int = 200) -> ScriptedOutside {
        ScriptedOutside { _ in (status, Data(verdict.utf8)) }
    }

    @Test func theCuratorTheClassifierNamesIsAssigned() async throws {
        let outside = Self.classifier(#"{"curator": "curator-2"}"#)
        let harness = BotHarness(bots: [TriageBot(settings: Self.settings)], outside: outside)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "My parcel is lost"))
            try await harness.send(.message("m2", in: "7", from: "client-1", text: "Hello?"))
            try await harness.waitForAnswers()
        }
        #expect(harness.actions == [.assignCurator(chatID: "7", curatorID: "curator-2")])
        #expect(outside.requests.count == 1, "one question per chat")
        let request = try #require(outside.requests.first)
        #expect(request.url == "http://classifier.test/route" && request.method == "POST")
        #expect(try JSONDecoder().decode([String: String].self, from: request.body ?? Data()) == ["chat_id": "7", "text": "My parcel is lost"])
    }

    @Test func aReplyFromTheClassifierIsSent() async throws {
        let harness = BotHarness(bots: [TriageBot(settings: Self.settings)], outside: Self.classifier(#"{"reply": "Track it at example.com/track"}"#))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Where is my parcel?"))
            try await harness.waitForAnswers()
        }
        #expect(harness.messages == [.init(chat: "7", text: "Track it at example.com/track")])
    }

    @Test func noVerdictMeansNoAction() async throws {
        struct Down: Error {}
        for outside in [Self.classifier("oops", status: 500), ScriptedOutside { _ in throw Down() }] {
            let harness = BotHarness(bots: [TriageBot(settings: Self.settings)], outside: outside)
            try await harness.run { harness in
                try await harness.send(.chatOpened("7", by: "client-1"))
                try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hi"))
                try await harness.waitForAnswers()
            }
            #expect(harness.actions.isEmpty)
            #expect(outside.requests.count == 1, "\(harness.handlerFailures) \(harness)")
        }
    }

    @Test func aChatACuratorTookMeanwhileIsLeftToThem() async throws {
        let answer = AsyncGate()
        let outside = ScriptedOutside { _ in
            await answer.wait()
            return (200, Data(#"{"curator": "curator-2"}"#.utf8))
        }
        let harness = BotHarness(bots: [TriageBot(settings: Self.settings)], outside: outside)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hi"))
            try await harness.send(.curatorAssigned("curator-1", to: "7"))
            answer.open()
            try await harness.waitForAnswers()
        }
        #expect(harness.actions.isEmpty)
    }

    @Test func curatorsMessagesAreNotClassified() async throws {
        let outside = Self.classifier("{}")
        let harness = BotHarness(bots: [TriageBot(settings: Self.settings)], outside: outside)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "curator-1", text: "Hello from the desk"))
            try await harness.waitForAnswers()
        }
        #expect(outside.requests.isEmpty)
    }
}

/// Holds a scripted answer until the test lets it go.
final class AsyncGate: Sendable {
    private let signal = ChangeSignal()
    private let token: Int

    init() {
        token = signal.token
    }

    func wait() async {
        await signal.wait(since: token)
    }

    func open() {
        signal.notify()
    }
}
