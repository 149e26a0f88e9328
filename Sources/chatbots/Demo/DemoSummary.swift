import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation

/// What a demo run did, from both sides: the runtime's counts and the emulator's record
/// of the actions and alerts it received.
struct DemoSummary {
    var seconds: Double
    var record: EmulatorRecord
    var engine: EngineCounters?
    var delivery: OutboxDelivery.Counters?
    var outboxPending: Int?

    var text: String {
        let applied = record.appliedActions
        var kinds: [String: Int] = [:]
        for action in applied { kinds[Self.kind(of: action), default: 0] += 1 }
        let byKind = kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let failures = engine?.handlerFailures.values.reduce(0, +) ?? 0
        return """

            summary after \(Int(seconds.rounded())) s
              events handled:   \(engine?.eventsHandled ?? 0) (the bots' own messages skipped: \(engine?.ownMessagesSkipped ?? 0)), timers fired: \(engine?.timersFired ?? 0)
              actions applied:  \(applied.count)\(byKind.isEmpty ? "" : " — \(byKind)")
              alerts received:  \(record.alerts.count)
              delivery:         \(delivery?.delivered ?? 0) delivered, \(delivery?.retried ?? 0) retried, \(delivery?.deadLettered ?? 0) dead-lettered; \(outboxPending.map(String.init) ?? "?") left in the outbox
              handler failures: \(failures)
            """
    }

    /// The action a recorded request was, from its method and path.
    static func kind(of action: RecordedAction) -> String {
        if action.method == "PATCH" { return "change_status" }
        if action.path.hasSuffix("/messages/") { return "send_message" }
        if action.path.hasSuffix("/assign/") { return "assign_curator" }
        if action.path.hasSuffix("/read/") { return "mark_read" }
        return "\(action.method) \(action.path)"
    }
}
