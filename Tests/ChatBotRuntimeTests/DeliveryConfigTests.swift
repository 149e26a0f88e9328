import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import Testing
import Triage

private let base = """
    server:
      url: ws://127.0.0.1:8080
    auth:
      static_token_env: TOKEN
    service_account_id: 1000

    """

private func load(_ extra: String) throws -> RuntimeConfiguration {
    try ConfigLoader.parse(base + extra, file: "chatbots.yaml", environment: [:])
}

@Suite("The delivery section and an action's expiry")
struct DeliveryConfigTests {
    @Test func everyKeyHasADefaultThatJustWorks() throws {
        let delivery = try load("").delivery
        #expect(delivery.limits == DeliveryLimits(maxInFlight: 32, alertMaxInFlight: 4, pauseScope: .chat, heldLimit: 10_000))
        #expect(delivery.limits.globalRate == nil && delivery.limits.perChatRate == nil)
        #expect(delivery.maxAge.seconds == 3_600)
        #expect(delivery.alertMaxAge.seconds == 86_400)
        #expect(delivery.requestTimeout.seconds == 10)
    }

    @Test func limitsRatesAndAgesAreRead() throws {
        let delivery = try load(
            """
            delivery:
              max_in_flight: 64
              rate_limit: 50/s
              chat_rate_limit: 20/min
              chat_rate_burst: 3
              retry_after_pauses: backend
              max_age: 30m
              request_timeout: 5s
              alerts: {max_in_flight: 2, max_age: 2h, request_timeout: 3s}
            """
        ).delivery
        #expect(delivery.limits.maxInFlight == 64)
        #expect(delivery.limits.globalRate == RateLimit(count: 50, per: .seconds(1), burst: 50), "a second of the rate by default")
        #expect(delivery.limits.perChatRate == RateLimit(count: 20, per: .seconds(60), burst: 3))
        #expect(delivery.limits.pauseScope == .backend)
        #expect(delivery.limits.alertMaxInFlight == 2)
        #expect(delivery.maxAge.seconds == 1_800 && delivery.alertMaxAge.seconds == 7_200)
        #expect(delivery.requestTimeout.seconds == 5 && delivery.alertRequestTimeout.seconds == 3)
    }

    @Test(arguments: [
        ("delivery:\n  rate_limit: fast\n", "delivery.rate_limit", "COUNT/s"),
        ("delivery:\n  max_in_flight: 0\n", "delivery.max_in_flight", "from 1 to 1024"),
        ("delivery:\n  retry_after_pauses: host\n", "delivery.retry_after_pauses", "\"host\" is not one of: chat, backend"),
        ("delivery:\n  chat_rate_burst: 3\n", "delivery.chat_rate_burst", "without chat_rate_limit"),
        ("delivery:\n  alerts: {max_inflight: 2}\n", "delivery.alerts", "max_inflight"),
        ("delivery:\n  max_age: 0s\n", "delivery.max_age", "longer than 0s"),
        ("bots:\n  - type: after_hours\n    expires_after: soon\n", "bots[0].expires_after", ""),
    ])
    func aBadValueIsNamedWithItsKeyPathAndLine(yaml: String, keyPath: String, message: String) {
        do {
            _ = try load(yaml)
            Issue.record("\(keyPath) was accepted")
        } catch let error as ConfigError {
            #expect(error.keyPath.hasPrefix(keyPath), "\(error)")
            #expect(error.line != nil, "\(error)")
            #expect(message.isEmpty || error.description.contains(message), "\(error)")
        } catch {
            Issue.record("not a ConfigError: \(error)")
        }
    }

    @Test func afterHoursRepliesExpireIn15MinutesUnlessItsSectionSaysOtherwise() throws {
        let options = """
                options:
                  hours: {time_zone: UTC, mode: always_closed}
                  replies: {en: "Closed."}
                  default_language: en
            """
        let configuration = try load(
            """
            bots:
              - type: after_hours
            \(options)
              - type: after_hours
                name: never_stale
                expires_after: never
            \(options)
              - type: after_hours
                name: quick
                expires_after: 2m
            \(options)
            """)
        let bots = try BotRegistry.builtIn.makeBots(configuration.bots, file: "chatbots.yaml")
        #expect(bots.map(\.actionExpiry) == [.seconds(900), nil, .seconds(120)])
        #expect(bots.map(\.name) == ["after_hours", "never_stale", "quick"])
    }

    /// A bot whose section sets `expires_after` still gets the answers to what it asked
    /// (the wrapper that carries the expiry once dropped them).
    @Test func aBotWithAConfiguredExpiryStillHearsItsAnswers() async throws {
        var registry = BotRegistry()
        registry.register(TriageBot.type) { options in TriageBot(name: options.name, settings: try options.decode(TriageBot.Settings.self)) }
        let configuration = try load(
            """
            bots:
              - type: triage
                expires_after: 2m
                options: {classifier_url: "http://classifier.test/route"}
            """)
        let bots = try registry.makeBots(configuration.bots, file: "chatbots.yaml")
        #expect(bots.map(\.actionExpiry) == [.seconds(120)])
        let harness = BotHarness(bots: bots, outside: ScriptedOutside { _ in (200, Data(#"{"curator": "curator-2"}"#.utf8)) })
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hi"))
            try await harness.waitForAnswers()
        }
        #expect(harness.actions == [.assignCurator(chatID: "7", curatorID: "curator-2")])
    }
}
