import ChatBotKit
import ChatBotTesting
import Foundation
import SLAAlerts
import Testing

func slaBot(_ json: String) throws -> SLAAlertsBot {
    SLAAlertsBot(settings: try StrictDecoding.decode(SLAAlertsSettings.self, fromJSON: Data(json.utf8)))
}

func slaHarness(_ json: String, start: Date = Date(timeIntervalSince1970: 1_767_225_600)) throws -> BotHarness {
    BotHarness(
        bots: [try slaBot(json)], start: start,
        configuration: EngineConfiguration(serviceAccountID: "1000", curatorRoster: ["anna", "boris"])
    )
}

let unreadPolicy = #"{"policies": [{"kind": "unread", "warning": "2m", "breach": "10m"}]}"#
let firstResponsePolicy = #"{"policies": [{"kind": "first_response", "warning": "5m", "breach": "15m"}]}"#

extension Alert {
    var levelName: String? { details["sla_level"]?.stringValue }
    var messageID: String? { details["message_id"]?.stringValue }
}

@Suite struct SLAAlertsBotTests {
    @Test func anUnreadMessageWarnsThenBreachesOnceEach() async throws {
        let harness = try slaHarness(unreadPolicy)
        try await harness.run { harness in
            try await harness.send([.chatOpened("7", by: "client-1"), .curatorAssigned("anna", to: "7")])
            try await harness.send(.message("m1", in: "7", from: "client-1", text: "Where is my order?"))
            try await harness.advance(by: .seconds(119))
            #expect(harness.alerts.isEmpty)
            try await harness.advance(by: .seconds(1))
            #expect(harness.alerts.map(\.levelName) == ["warning"])
            try await harness.advance(by: .minutes(8))
            try await harness.advance(by: .hours(5))
        }
        let alerts = harness.alerts
        #expect(alerts.map(\.levelName) == ["warning", "breach"])
        #expect(alerts.map(\.level) == [.warning, .critical])
        let breach = try #require(alerts.last)
        #expect(breach.text == "SLA breach (unread) in chat 7: a client message unread for 10m, limit 10m; curator: anna")
        #expect(breach.chatID == "7")
        #expect(breach.details["message_id"] == .string("m1"))
        #expect(breach.details["waited_seconds"] == .integer(600))
        #expect(breach.details["curator_id"] == .string("anna"))
        #expect(breach.details["late"] == .bool(false))
        #expect(harness.timers.isEmpty)
    }

    /// A clock keeps one timer at a time: the warning's, then the breach's once the
    /// warning fires; an answer cancels what is pending, and nothing is written for
    /// the timer that was never set.
    @Test func aClockHoldsOneTimerAtATime() async throws {
        let harness = try slaHarness(unreadPolicy)
        let levels: @Sendable () -> [String] = {
            harness.timers.values.compactMap { $0.name.split(separator: ".").dropFirst(2).first }.map(String.init)
        }
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            #expect(levels() == ["warning"])
            try await harness.advance(by: .minutes(2))
            #expect(harness.alerts.map(\.levelName) == ["warning"])
            #expect(levels() == ["breach"])
            try await harness.send(.message("m2", in: "7", from: "anna"))
        }
        #expect(harness.timers.isEmpty)
        #expect(harness.alerts.map(\.levelName) == ["warning"])
    }

    /// A store written when both levels were scheduled at once: an answer stops both.
    @Test func anAnswerStopsBothTimersOfAClockFromAnOlderStore() async throws {
        let harness = try slaHarness(unreadPolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
        }
        let warning = try #require(harness.timers.first)
        var breach = warning.value
        breach.name = breach.name.replacingOccurrences(of: ".warning.", with: ".breach.")
        breach.fireAt = breach.fireAt.addingTimeInterval(480)
        breach.payload = Array(String(decoding: breach.payload, as: UTF8.self).replacingOccurrences(of: "warning", with: "breach").utf8)
        try await harness.store.commit([
            {
                var commit = Commit()
                commit.timersScheduled = [StoredTimer(bot: warning.key.bot, request: breach)]
                return commit
            }()
        ])
        try await harness.run { harness in
            #expect(harness.timers.count == 2)
            try await harness.send(.message("m2", in: "7", from: "anna"))
            try await harness.advance(by: .hours(1))
        }
        #expect(harness.timers.isEmpty)
        #expect(harness.alerts.isEmpty)
    }

    @Test func eachUnreadMessageHasItsOwnClock() async throws {
        let harness = try slaHarness(unreadPolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .seconds(30))
            try await harness.send(.message("m2", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(3))
        }
        #expect(harness.alerts.map(\.messageID) == ["m1", "m2"])
    }

    @Test func aCuratorsReadClearsTheUnreadAlert() async throws {
        let harness = try slaHarness(unreadPolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.send(.message("m2", in: "7", from: "client-1"))
            try await harness.send(.message("m3", in: "7", from: "client-1"))
            try await harness.advance(by: .seconds(60))
            // The client's own read and the runtime's do not count; anna reading m2 covers m1 and m2.
            try await harness.send(.messageRead(in: "7", upTo: "m3", by: "client-1"))
            try await harness.send(.messageRead(in: "7", upTo: "m3", by: "1000"))
            try await harness.send(.messageRead(in: "7", upTo: "m2", by: "anna"))
            try await harness.advance(by: .minutes(30))
        }
        #expect(harness.alerts.map(\.messageID) == ["m3", "m3"])
        #expect(harness.alerts.map(\.levelName) == ["warning", "breach"])
    }

    @Test func aCuratorsReplyMeetsTheFirstResponseForGood() async throws {
        let harness = try slaHarness(firstResponsePolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(1))
            try await harness.send(.message("m2", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(3))
            try await harness.send(.message("m3", in: "7", from: "boris", text: "Hello, I am on it"))
            try await harness.advance(by: .minutes(30))
            try await harness.send(.message("m4", in: "7", from: "client-1", text: "Thanks, one more question"))
            try await harness.advance(by: .minutes(30))
        }
        #expect(harness.alerts.isEmpty)
        #expect(harness.timers.isEmpty)
    }

    @Test func firstResponseCountsFromTheFirstMessage() async throws {
        let harness = try slaHarness(firstResponsePolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(4))
            try await harness.send(.message("m2", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(1))
            #expect(harness.alerts.map(\.messageID) == ["m1"])
            try await harness.advance(by: .minutes(10))
        }
        #expect(harness.alerts.map(\.levelName) == ["warning", "breach"])
        #expect(harness.alerts.last?.details["waited_seconds"] == .integer(900))
    }

    @Test func aBreachedFirstResponseIsNotMeasuredAgain() async throws {
        let harness = try slaHarness(firstResponsePolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(20))
            try await harness.send(.message("m2", in: "7", from: "anna", text: "Sorry for the wait"))
            try await harness.send(.message("m3", in: "7", from: "client-1", text: "No problem"))
            try await harness.advance(by: .minutes(30))
        }
        #expect(harness.alerts.map(\.levelName) == ["warning", "breach"])
    }

    @Test func aChatEscalatesOncePerSilenceNotOncePerMessage() async throws {
        let harness = try slaHarness(#"{"policies": [{"kind": "unread", "breach": "10m", "escalate_status": "urgent"}]}"#)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            for message in ["m1", "m2", "m3"] {
                try await harness.send(.message(MessageID(message), in: "7", from: "client-1"))
                try await harness.advance(by: .seconds(20))
            }
            try await harness.advance(by: .minutes(10))
            // A curator answers; the next silence may escalate again.
            try await harness.send(.message("m4", in: "7", from: "anna", text: "On it"))
            try await harness.send(.message("m5", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(10))
        }
        #expect(harness.alerts.count == 4)
        #expect(harness.actions.filter { $0.kind == "change_status" }.count == 2)
        #expect(harness.alerts[1].details["escalated_already_at"] != nil)
    }

    @Test func closingTheChatStopsItsClocks() async throws {
        let harness = try slaHarness(unreadPolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .seconds(90))
            try await harness.send(.statusChanged(of: "7", to: "resolved"))
            try await harness.advance(by: .hours(1))
        }
        #expect(harness.alerts.isEmpty)
        #expect(harness.timers.isEmpty)
    }

    @Test func aRestartInTheMiddleOfAWindowChangesNothing() async throws {
        let harness = try slaHarness(unreadPolicy)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.send(.message("m2", in: "7", from: "client-1"))
            try await harness.advance(by: .seconds(60))
        }
        // Down for 30 s: nothing was due. Back up, the warning comes at 2 minutes, on time.
        harness.clock.advance(by: .seconds(30))
        try await harness.run { harness in
            try await harness.advance(by: .seconds(29))
            #expect(harness.alerts.isEmpty)
            try await harness.advance(by: .seconds(1))
            #expect(harness.alerts.map(\.levelName) == ["warning", "warning"])
            try await harness.advance(by: .seconds(60))
        }
        // Down again across the breach: it arrives on start, once per message, marked late.
        harness.clock.advance(by: .minutes(20))
        try await harness.run { harness in
            try await harness.advance(by: .hours(1))
        }
        try await harness.run { _ in }
        #expect(harness.alerts.map(\.levelName) == ["warning", "warning", "breach", "breach"])
        #expect(harness.alerts.suffix(2).map { $0.details["late"] } == [.bool(true), .bool(true)])
        #expect(harness.alerts.last?.details["waited_seconds"] == .integer(23 * 60))  // 1 + 0.5 + 1.5 + 20 minutes
        #expect(harness.timers.isEmpty)
    }

    @Test func businessHoursClocksCountOpenTimeOnly() async throws {
        let options = #"""
            {"policies": [{"kind": "first_response", "breach": "10m"}],
             "business_hours": {"time_zone": "Europe/Berlin", "week": {"fri": "09:00-18:00", "mon": "09:00-18:00"}}}
            """#
        // Friday 2026-01-16, 17:55 in Berlin: five open minutes left this week.
        let harness = try slaHarness(options, start: try #require(ISO8601DateFormatter().date(from: "2026-01-16T16:55:00Z")))
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(to: try #require(ISO8601DateFormatter().date(from: "2026-01-19T08:04:59Z")))
            #expect(harness.alerts.isEmpty)
            try await harness.advance(to: try #require(ISO8601DateFormatter().date(from: "2026-01-19T08:05:00Z")))
        }
        #expect(harness.alerts.count == 1)
        #expect(harness.alerts.first?.details["waited_seconds"] == .integer(600))
    }

    @Test func aBreachCanEscalateTheChatsStatus() async throws {
        let harness = try slaHarness(#"{"policies": [{"kind": "unread", "breach": "10m", "escalate_status": "urgent"}]}"#)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1"))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(10))
        }
        #expect(harness.actions.count == 2)
        #expect(harness.actions.first == .changeStatus(chatID: "7", status: "urgent"))
        #expect(harness.alerts.first?.details["escalated_status"] == .string("urgent"))
    }

    @Test func aBreachCanMoveTheChatToAnotherCuratorByTheAssignRules() async throws {
        let harness = try slaHarness(
            #"{"policies": [{"kind": "first_response", "breach": "15m", "escalate_reassign": true}], "reassign_rules": {"max_open_chats": 1}}"#)
        try await harness.run { harness in
            try await harness.send([.online("anna"), .online("boris"), .online("carl")])
            try await harness.send([.chatOpened("6", by: "client-0"), .curatorAssigned("boris", to: "6")])  // boris is full
            try await harness.send([.chatOpened("7", by: "client-1"), .curatorAssigned("anna", to: "7")])
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(15))
            // Nobody free for chat 8: the alert says so and the chat stays.
            try await harness.send([.chatOpened("8", by: "client-2"), .curatorAssigned("anna", to: "8")])
            try await harness.send(.offline("carl"))
            try await harness.send(.message("m2", in: "8", from: "client-2"))
            try await harness.advance(by: .minutes(15))
        }
        // carl is not on the roster: only anna and boris are curators, and boris is full.
        #expect(harness.actions.filter { $0.kind == "assign_curator" }.isEmpty)
        #expect(harness.alerts.map { $0.details["reassigned_to"] } == [.null, .null])
    }

    @Test func aBreachMovesTheChatWhenSomeoneCanTakeIt() async throws {
        let harness = try slaHarness(#"{"policies": [{"kind": "unread", "breach": "10m", "escalate_reassign": true}]}"#)
        try await harness.run { harness in
            try await harness.send([.online("anna"), .online("boris")])
            try await harness.send([.chatOpened("7", by: "client-1"), .curatorAssigned("anna", to: "7")])
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.advance(by: .minutes(10))
        }
        #expect(harness.actions.first == .assignCurator(chatID: "7", curatorID: "boris"))
        #expect(harness.alerts.first?.details["reassigned_to"] == .string("boris"))
    }

    @Test func policiesApplyToTheirChatTypes() async throws {
        let harness = try slaHarness(#"{"policies": [{"kind": "unread", "breach": "10m", "chat_types": ["order"]}]}"#)
        try await harness.run { harness in
            try await harness.send(.chatOpened("7", by: "client-1", type: .topic))
            try await harness.send(.chatOpened("8", by: "client-2", type: .order))
            try await harness.send(.message("m1", in: "7", from: "client-1"))
            try await harness.send(.message("m2", in: "8", from: "client-2"))
            try await harness.advance(by: .minutes(15))
        }
        #expect(harness.alerts.map(\.chatID) == ["8"])
    }

    @Test(arguments: [
        (#"{"policies": [{"kind": "unread", "warning": "10m", "breach": "5m"}]}"#, "must come before the breach"),
        (#"{"policies": [{"kind": "unread", "breach": "5m"}, {"kind": "unread", "breach": "9m"}]}"#, "two policies are named \"unread\""),
        (#"{"policies": [{"kind": "unanswered", "breach": "5m"}]}"#, "unanswered"),
        (#"{"policies": []}"#, "at least one policy"),
        (#"{"policies": [{"kind": "unread"}]}"#, "breach"),
    ])
    func badOptionsAreRefusedWithTheReason(json: String, reason: String) {
        #expect {
            try slaBot(json)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
