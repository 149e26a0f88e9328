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

/// A chat's SLA clocks, kept in the bot's state under the chat's key `clocks`.
struct ChatClocks: Sendable, Hashable, Codable {
    var running: [SLAClock] = []
    /// The chat's first response is settled for good: a curator answered, or the wait
    /// already breached (a later client message does not start the clock again).
    var firstResponseDone = false
    /// When a breach last escalated the chat (status or reassignment); cleared when a
    /// curator writes. A chat escalates once per spell of silence, not once per message.
    var escalatedAt: Date?

    /// Where a chat's clocks are kept.
    static func key(_ chat: ChatID) -> StateKey<ChatClocks> { .chat(chat, "clocks") }
}

/// What a clock's timer carries, so a fired timer finds its clock. (The JSON of stores
/// written before typed timers has these four fields as strings, as this one does.)
struct ClockTimer: Sendable, Hashable, Codable {
    var policy: String
    var chat: ChatID
    var message: MessageID
    var level: SLAPolicy.Level

    /// The SLA bot's one kind of timer: a clock reaching a level.
    static let kind = TimerKind<ClockTimer>("sla")

    /// Tells apart the clocks' timers within a chat.
    var instance: String {
        "\(policy).\(level.rawValue).\(message)"
    }
}
