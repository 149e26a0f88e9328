import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import ServiceLifecycle
import Testing

/// The three built-in bots in the real runtime, over a real socket and a real SQLite
/// file, against the emulator's generated traffic; checked by what the emulator
/// received.
@Suite("The built-in bots, live against the emulator", .timeLimit(.minutes(3)))
struct BuiltInBotsLiveTests {
    static func configuration(port: Int, store: String) -> String {
        emulatorRuntimeYAML(
            port: port, store: store,
            extra: """
                engine:
                  curators: [curator-1, curator-2, curator-3, curator-4]
                bots:
                  - type: auto_assign
                    options: {strategy: least_loaded, max_open_chats: 3}
                  - type: after_hours
                    options:
                      hours: {time_zone: UTC, mode: always_closed}
                      replies: {en: "Closed; back {next_open}.", ru: "Закрыто; вернёмся {next_open}."}
                      default_language: en
                      reply_on_new_chat: false
                  - type: sla_alerts
                    options:
                      policies: [{kind: unread, warning: 1s, breach: 2s}]
                """)
    }

    @Test func allThreeBotsActOnGeneratedTrafficOnceEach() async throws {
        let emulatorConfiguration = EmulatorConfiguration(seed: 11, world: .init(clients: 12, curators: 4))
        try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            try await withTemporaryFolder { folder in
                let loaded = try ConfigLoader.parse(
                    Self.configuration(port: port, store: folder.appendingPathComponent("bots.sqlite").path), file: "live.yaml", environment: [:]
                )
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "live.yaml"), logger: quietLogger)
                let group = ServiceGroup(configuration: .init(services: [runtime], logger: quietLogger))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    let parts = try #require(await runtime.waitUntilStarted())
                    await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }

                    // Curators announce themselves, then a day's worth of traffic in a rush.
                    for curator in ["curator-1", "curator-2", "curator-3"] {
                        try emulator.send(.userStatus(.init(userID: UserID(curator), status: .online)))
                    }
                    emulator.generate(steps: 400)
                    try await settleTraffic(emulator, parts)

                    let traffic = TrafficReport(emulator.record)
                    let chatsOpened = emulator.status.chats
                    #expect(chatsOpened > 10)
                    #expect(traffic.refused == 0, "every request was applied, none refused")
                    #expect(traffic.distinctKeys == traffic.actions, "each action carries its own key and arrived once")
                    // After hours: exactly one reply in every chat (the client always writes first).
                    #expect(traffic.repliedChats.count == chatsOpened)
                    #expect(traffic.replies == chatsOpened)
                    #expect(traffic.repliesOffScript == 0)
                    // Auto-assign: only curators, never the same chat twice.
                    #expect(traffic.assignments > 0)
                    #expect(traffic.assignedChats.count == traffic.assignments)
                    #expect(traffic.assignedNonCurators == 0)

                    // SLA: a message nobody reads warns, then breaches, once each.
                    let chat = emulator.openChat(client: "client-late")
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": "late-1", "sender": "client-late", "chat_id": "\#(chat)", "text": "Hello?", "message_type": "text"}}"#
                    )
                    try await eventually("the breach alert for message late-1") {
                        AlertReport(emulator.record, message: "late-1").levelsOfMessage.contains("breach")
                    }
                    try await eventually("every SLA timer to fire") { parts.engine.pendingTimers.isEmpty }
                    try await settleTraffic(emulator, parts)
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }

                let alerts = AlertReport(emulator.record, message: "late-1")
                #expect(alerts.levelsOfMessage == ["warning", "breach"])
                #expect(alerts.total > 2)
                #expect(alerts.distinctMessageLevels == alerts.total, "each level alerts once per message")
                #expect(alerts.withoutSLAText == 0)
            }
        }
    }

}

/// What the emulator received from a live run, counted in one plain pass.
struct TrafficReport {
    var actions = 0
    var refused = 0
    var distinctKeys = 0
    var replies = 0
    var repliedChats: Set<String> = []
    var repliesOffScript = 0
    var assignments = 0
    var assignedChats: Set<String> = []
    var assignedNonCurators = 0

    init(_ record: EmulatorRecord) {
        var keys: Set<String> = []
        for action in record.actions {
            actions += 1
            if action.outcome != .applied { refused += 1 }
            if let key = action.idempotencyKey { keys.insert(key) }
            let parts = action.path.split(separator: "/").map(String.init)  // api, chats, ID, route
            guard parts.count == 4 else { continue }
            switch parts[3] {
            case "messages":
                replies += 1
                repliedChats.insert(parts[2])
                let text = action.body["text"]?.stringValue ?? ""
                if !text.hasPrefix("Closed;") && !text.hasPrefix("Закрыто;") { repliesOffScript += 1 }
            case "assign":
                assignments += 1
                assignedChats.insert(parts[2])
                if !(action.body["curator_id"]?.stringValue ?? "").hasPrefix("curator-") { assignedNonCurators += 1 }
            default:
                break
            }
        }
        distinctKeys = keys.count
    }
}

/// The alerts the emulator received from a live run, counted in one plain pass.
struct AlertReport {
    var total = 0
    var distinctMessageLevels = 0
    var withoutSLAText = 0
    /// The SLA levels alerted for one message, in order.
    var levelsOfMessage: [String] = []

    init(_ record: EmulatorRecord, message: String) {
        var seen: Set<String> = []
        for alert in record.alerts {
            total += 1
            let details = alert.body["alert"]
            let messageID = details?["message_id"]?.stringValue ?? "?"
            let level = details?["sla_level"]?.stringValue ?? "?"
            seen.insert("\(messageID)/\(level)")
            if messageID == message { levelsOfMessage.append(level) }
            if alert.body["text"]?.stringValue?.hasPrefix("SLA ") != true { withoutSLAText += 1 }
        }
        distinctMessageLevels = seen.count
    }
}
