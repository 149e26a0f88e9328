import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import GRDB
import Synchronization
import Testing

/// Keeps the engine's inputs as they were handled.
private final class InputRecording: Sendable {
    private let inputs = Mutex<[RecordedInput]>([])

    func record(_ input: RecordedInput) {
        inputs.withLock { $0.append(input) }
    }

    var all: [RecordedInput] {
        inputs.withLock { $0 }
    }
}

/// The decisions of a live run are a function of its inputs: recorded against the
/// emulator's generated traffic — many chats, curators going on- and offline, timers
/// firing, the curator directory, an outside call's answer, a reload — and replayed into
/// a new engine, they give the same actions, action for action.
@Suite("Replay equals live", .timeLimit(.minutes(3)))
struct ReplayEqualsLiveTests {
    private static func yaml(port: Int, store: String) -> String {
        emulatorRuntimeYAML(
            port: port, store: store,
            extra: """
                engine:
                  curators: [curator-1, curator-2]
                directory:
                  curators_path: /api/curators/
                  refresh_seconds: 1
                bots:
                  - type: auto_assign
                    options: {strategy: least_loaded, max_open_chats: 2}
                  - type: after_hours
                    options:
                      hours: {time_zone: UTC, mode: always_closed}
                      replies: {en: "Closed; back {next_open}."}
                      default_language: en
                      new_chat_delay: 1s
                  - type: sla_alerts
                    options:
                      policies: [{kind: unread, warning: 1s, breach: 2s}]
                """)
    }

    @Test func aRecordedLiveRunReplayedDecidesTheSameActionForAction() async throws {
        let emulatorConfiguration = EmulatorConfiguration(seed: 23, world: .init(clients: 20, curators: 4))
        try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            try await withTemporaryFolder { folder in
                let storePath = folder.appendingPathComponent("bots.sqlite").path
                let loaded = try ConfigLoader.parse(Self.yaml(port: port, store: storePath), file: "replay.yaml", environment: [:])
                let makeBots: @Sendable () throws -> [any Bot] = {
                    try BotRegistry.builtIn.makeBots(loaded.bots, file: "replay.yaml") + [AskingBot(port: port)]
                }
                let recording = InputRecording()
                let runtime = BotRuntime(configuration: loaded, bots: try makeBots(), logger: quietLogger, engineInputs: recording.record)
                try await withConnectedRuntime(runtime) { parts in
                    for curator in ["curator-1", "curator-2", "curator-3"] {
                        try emulator.send(.userStatus(.init(userID: UserID(curator), status: .online)))
                    }
                    var sent = 3 + emulator.generate(steps: 150)
                    try await eventually("the directory read") { parts.engine.worldModel.role(of: "curator-4") == .curator }
                    // A reload: the same bots, in another order.
                    try parts.engine.replaceBots(try makeBots().reversed())
                    try emulator.send(.userStatus(.init(userID: "curator-2", status: .offline)))
                    sent += 1 + emulator.generate(steps: 150)
                    // Every frame read and handled, every SLA and after-hours timer fired,
                    // every call answered.
                    try await eventually("every frame read") { [sent] in parts.gateway.statistics.framesReceived >= sent }
                    await parts.engine.waitUntilIdle()
                    await parts.engine.waitUntilCallsAnswered()
                    try await eventually("every timer fired") { parts.engine.pendingTimers.isEmpty }
                    await parts.engine.waitUntilCallsAnswered()
                    await parts.engine.waitUntilIdle()
                }
                let inputs = recording.all
                #expect(inputs.contains { if case .answer = $0 { true } else { false } }, "an outside call was answered")
                #expect(inputs.contains { if case .tick = $0 { true } else { false } }, "timers fired")
                #expect(inputs.contains { if case .directory = $0 { true } else { false } })
                #expect(inputs.contains { if case .lineup = $0 { true } else { false } })
                let live = try liveActions(in: storePath)
                #expect(live.count > 50)

                // The replay: a new engine, an empty store, the same bots and inputs.
                let store = InMemoryStore()
                let first = inputs.lazy.compactMap(\.time).first ?? Date()
                let clock = VirtualClock(start: first.addingTimeInterval(-1))
                let bots = try makeBots()
                let replayed = try await withRunningEngine(
                    bots: bots, store: store, clock: clock, configuration: loaded.engineConfiguration(chatDetails: nil), replaying: true
                ) { engine in
                    for input in inputs {
                        try engine.replay(input) { name in bots.first { $0.name == name } }
                    }
                    await engine.waitUntilIdle()
                    return store.committedActions.map(\.action)
                }
                #expect(replayed.count == live.count)
                let firstDifference = zip(live, replayed).enumerated().first { $0.element.0 != $0.element.1 }
                #expect(firstDifference == nil, "first difference: \(String(describing: firstDifference))")
            }
        }
    }

    /// Every action the live run committed, in commit order.
    private func liveActions(in path: String) throws -> [BotAction] {
        try DatabaseQueue(path: path).read { db in
            try Data.fetchAll(db, sql: "SELECT action FROM outbox ORDER BY id").map { try JSONDecoder().decode(BotAction.self, from: $0) }
        }
    }
}

extension RecordedInput {
    /// The input's time, if it has one.
    var time: Date? {
        switch self {
        case .event(_, let receivedAt, _): receivedAt
        case .tick(let date), .answer(_, _, _, _, let date), .forget(let date, _), .catchUp(_, let date): date
        case .directory, .curators, .lineup: nil
        }
    }
}

/// Asks the emulator's outside service about every fifth client message.
private struct AskingBot: Bot {
    let name = "asker"
    let port: Int
    static let echo = CallKind<MessageID>("echo")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event, message.senderID.rawValue.hasPrefix("client"),
            (message.id.integerValue ?? 0) % 5 == 0
        else { return }
        let request = OutsideRequest(
            url: "http://127.0.0.1:\(port)/outside/echo?delay_ms=50", body: Data(message.id.rawValue.utf8), timeout: .seconds(20))
        context.ask(request, as: Self.echo, chat: message.chatID, payload: message.id)
    }

    func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws {
        guard let message = try answer.payload(Self.echo), let chat = answer.chatID, case .answered(let status, _) = answer.outcome else { return }
        context.send("checked \(message): \(status)", to: chat)
    }
}
