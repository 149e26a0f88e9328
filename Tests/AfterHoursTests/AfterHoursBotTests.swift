import AfterHours
import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// Berlin office hours, Monday to Friday 09:00-18:00, closed on Christmas Day.
let officeOptions = #"""
    {
      "hours": {
        "time_zone": "Europe/Berlin",
        "week": {"mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00", "thu": "09:00-18:00", "fri": "09:00-18:00"},
        "holidays": ["12-25"]
      },
      "replies": {
        "en": "Thanks! We are closed and back {next_open} ({time_zone}).",
        "ru": "Спасибо! Мы вернёмся: {next_open}."
      },
      "default_language": "en",
      "curator_quiet_period": "30m",
      "new_chat_delay": "30s"
    }
    """#

func afterHours(_ json: String = officeOptions) throws -> AfterHoursBot {
    AfterHoursBot(settings: try StrictDecoding.decode(AfterHoursSettings.self, fromJSON: Data(json.utf8)))
}

func utc(_ text: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text), "not a timestamp: \(text)")
}

@Suite struct AfterHoursBotTests {
    @Test func aReplyExpiresFifteenMinutesAfterItWasDecided() async throws {
        // "We are closed" sent late, after the desk opened, would be wrong: the outbox
        // entry carries its expiry, and the delivery records it expired, not sent.
        let start = try utc("2026-01-14T19:00:00Z")
        let harness = BotHarness(bots: [try afterHours()], start: start)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hello?"))
        }
        let reply = try #require(harness.store.committedActions.first)
        #expect(reply.action.kind == "send_message")
        #expect(reply.expiresAt == reply.createdAt.addingTimeInterval(15 * 60))
    }

    @Test func oneReplyPerChatPerClosedPeriod() async throws {
        // Wednesday 2026-01-14, 20:00 in Berlin: closed.
        let harness = BotHarness(bots: [try afterHours()], start: try utc("2026-01-14T19:00:00Z"))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hello, anyone there?"))
            try await harness.send(.message("m2", in: "7", from: "client-1", text: "Hello??"))
            try await harness.advance(by: .seconds(60))  // past the new-chat delay: no second reply
            #expect(harness.messages == [.init(chat: "7", text: "Thanks! We are closed and back Thursday 09:00 (Europe/Berlin).")])

            try await harness.advance(to: try utc("2026-01-15T10:00:00Z"))  // Thursday 11:00: open
            try await harness.send(.message("m3", in: "7", from: "client-1", text: "Still there?"))
            #expect(harness.messages.count == 1)

            try await harness.advance(to: try utc("2026-01-15T18:00:00Z"))  // Thursday 19:00: closed again
            try await harness.send(.message("m4", in: "7", from: "client-1", text: "One more thing"))
        }
        #expect(harness.messages.map(\.text).last == "Thanks! We are closed and back Friday 09:00 (Europe/Berlin).")
        #expect(harness.messages.count == 2)
    }

    @Test func aChatOpenedAfterHoursIsAnsweredAfterTheDelayWhenTheClientSaysNothing() async throws {
        let harness = BotHarness(bots: [try afterHours()], start: try utc("2026-01-14T19:00:00Z"))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.advance(by: .seconds(29))
            #expect(harness.messages.isEmpty)
            try await harness.advance(by: .seconds(1))
            #expect(harness.messages.count == 1)
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hello"))
        }
        #expect(harness.messages.count == 1)
        #expect(harness.timers.isEmpty)
    }

    @Test func theClientsFirstMessagePicksTheLanguage() async throws {
        let harness = BotHarness(bots: [try afterHours()], start: try utc("2026-01-14T19:00:00Z"))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.advance(by: .seconds(10))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Здравствуйте! Где мой заказ?"))
            try await harness.advance(by: .minutes(5))
        }
        let reply = try #require(harness.messages.first)
        #expect(harness.messages.count == 1)
        #expect(reply.text.hasPrefix("Спасибо! Мы вернёмся: "))
        #expect(reply.text.hasSuffix("09:00."))
        #expect(!reply.text.contains("Thursday"))
    }

    @Test func curatorsAndTheRuntimeItselfNeverTriggerIt() async throws {
        let bot = try afterHours(officeOptions.replacingOccurrences(of: #""new_chat_delay": "30s""#, with: #""reply_on_new_chat": false"#))
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["curator-1"])
        let harness = BotHarness(bots: [bot], start: try utc("2026-01-14T19:00:00Z"), configuration: configuration)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "curator-1", text: "Working late, how can I help?"))
            try await harness.send(.message("m2", in: "7", from: "1000", text: "Auto: we are closed"))
            try await harness.send(.message("m3", in: "8", from: "someone-unknown", text: "Hi"))
        }
        #expect(harness.messages.isEmpty)
    }

    @Test func noReplyWhileACuratorIsActiveInTheChat() async throws {
        let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["curator-1"])
        let harness = BotHarness(bots: [try afterHours()], start: try utc("2026-01-14T19:00:00Z"), configuration: configuration)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "curator-1", text: "Hi, I am here"))
            try await harness.advance(by: .minutes(10))
            try await harness.send(.message("m2", in: "7", from: "client-1", text: "Great, my order..."))
            #expect(harness.messages.isEmpty)
            try await harness.advance(by: .minutes(21))  // 31 minutes since the curator wrote
            try await harness.send(.message("m3", in: "7", from: "client-1", text: "Hello?"))
        }
        #expect(harness.messages.count == 1)
    }

    @Test func hoursFollowTheDaylightSavingChange() async throws {
        // Friday 2026-03-27, 18:30 CET: closed. Clocks go forward on Sunday.
        let harness = BotHarness(bots: [try afterHours()], start: try utc("2026-03-27T17:30:00Z"))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hello"))
            #expect(harness.messages.map(\.text) == ["Thanks! We are closed and back Monday 09:00 (Europe/Berlin)."])
            // Monday 06:30 UTC is 08:30 CEST: still the same closed period, no second reply.
            try await harness.advance(to: try utc("2026-03-30T06:30:00Z"))
            try await harness.send(.message("m2", in: "7", from: "client-1", text: "Hello again"))
            // 07:30 UTC is 09:30 CEST: open (in winter time it would still be closed).
            try await harness.advance(to: try utc("2026-03-30T07:30:00Z"))
            try await harness.send(.message("m3", in: "7", from: "client-1", text: "And again"))
        }
        #expect(harness.messages.count == 1)
    }

    @Test func aHolidayIsPartOfTheClosedPeriod() async throws {
        // Thursday 2026-12-24 18:30 CET; Friday the 25th is a holiday; next opening Monday.
        let harness = BotHarness(bots: [try afterHours()], start: try utc("2026-12-24T17:30:00Z"))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Merry Christmas, where is my parcel?"))
            try await harness.advance(to: try utc("2026-12-25T11:00:00Z"))
            try await harness.send(.message("m2", in: "7", from: "client-1", text: "Anyone?"))
        }
        #expect(harness.messages.map(\.text) == ["Thanks! We are closed and back Monday 09:00 (Europe/Berlin)."])
    }

    @Test func overridesKeepTheDeskOpenOrClosed() async throws {
        let open = try afterHours(
            officeOptions.replacingOccurrences(of: #""time_zone": "Europe/Berlin","#, with: #""time_zone": "Europe/Berlin", "mode": "always_open","#))
        let closed = try afterHours(
            officeOptions.replacingOccurrences(
                of: #""time_zone": "Europe/Berlin","#, with: #""time_zone": "Europe/Berlin", "mode": "always_closed","#))
        for (bot, expected) in [(open, [String]()), (closed, ["Thanks! We are closed and back — (Europe/Berlin)."])] {
            let harness = BotHarness(bots: [bot], start: try utc("2026-01-14T10:00:00Z"))
            try await harness.run { harness in
                try await harness.send(.chatOpened("7", by: "client-1"))
                try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hello"))
            }
            #expect(harness.messages.map(\.text) == expected)
        }
    }

    @Test(arguments: [
        ("{next_open} (", "{next_opening} (", "unknown placeholder {next_opening}"),
        (#""default_language": "en""#, #""default_language": "de""#, "\"de\" has no reply"),
        (#""new_chat_delay": "30s""#, #""new_chat_delay": "soon""#, "\"soon\" is not a duration"),
        (#""curator_quiet_period""#, #""curator_quiet_periods""#, "did you mean \"curator_quiet_period\""),
    ])
    func badOptionsAreRefusedWithTheReason(original: String, replacement: String, reason: String) {
        #expect {
            try afterHours(officeOptions.replacingOccurrences(of: original, with: replacement))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
