import ChatBotKit
import Foundation

/// A running SLA clock: one policy, one client message.
struct SLAClock: Sendable, Hashable, Codable {
    var policy: String
    var message: MessageID
    /// The message's place in the chat, to compare with read marks.
    var sequence: Int64
    var startedAt: Date
    /// Levels already alerted.
    var alerted: Set<SLAPolicy.Level> = []
}

/// A chat's SLA clocks, kept in the bot's state under `clocks.<chat id>`.
struct ChatClocks: Sendable, Hashable, Codable {
    var running: [SLAClock] = []
    /// The chat's first response is settled for good: a curator answered, or the wait
    /// already breached (a later client message does not start the clock again).
    var firstResponseDone = false
    /// When a breach last escalated the chat (status or reassignment); cleared when a
    /// curator writes. A chat escalates once per spell of silence, not once per message.
    var escalatedAt: Date?

    static func key(_ chat: ChatID) -> String {
        "clocks.\(chat)"
    }
}

/// What a clock's timer carries, so a fired timer finds its clock.
struct ClockTimer: Sendable, Hashable {
    var policy: String
    var chat: ChatID
    var message: MessageID
    var level: SLAPolicy.Level

    var name: String {
        "sla.\(policy).\(level.rawValue).\(chat).\(message)"
    }

    var payload: JSONValue {
        .object(["policy": .string(policy), "chat": .string("\(chat)"), "message": .string("\(message)"), "level": .string(level.rawValue)])
    }

    init(policy: String, chat: ChatID, message: MessageID, level: SLAPolicy.Level) {
        self.policy = policy
        self.chat = chat
        self.message = message
        self.level = level
    }

    init?(payload: JSONValue) {
        guard let policy = payload["policy"]?.stringValue, let chat = payload["chat"]?.stringValue,
              let message = payload["message"]?.stringValue, let level = payload["level"]?.stringValue.flatMap(SLAPolicy.Level.init(rawValue:))
        else { return nil }
        self.init(policy: policy, chat: ChatID(chat), message: MessageID(message), level: level)
    }
}
