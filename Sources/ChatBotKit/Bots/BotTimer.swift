import Foundation

/// A timer a bot asked for: it fires once at `fireAt`, through the bot's
/// ``Bot/timerFired(_:in:)``. Timers are durable: they survive restarts.
public struct TimerRequest: Hashable, Sendable, Codable {
    /// The timer's name within its bot; scheduling a name again replaces the timer.
    public var name: String
    public var fireAt: Date
    /// The chat it belongs to: it fires in that chat's order with its events.
    public var chatID: ChatID?
    /// Whatever the bot wants back when it fires.
    public var payload: JSONValue

    public init(name: String, fireAt: Date, chatID: ChatID? = nil, payload: JSONValue = .null) {
        self.name = name
        self.fireAt = fireAt
        self.chatID = chatID
        self.payload = payload
    }
}

/// A timer that came due.
public struct FiredTimer: Hashable, Sendable {
    public var name: String
    public var chatID: ChatID?
    public var payload: JSONValue
    /// When it was due.
    public var dueAt: Date
    /// When it fired.
    public var firedAt: Date
    /// It came due while the runtime was not running, and fires late, on start.
    public var isLate: Bool

    public init(name: String, chatID: ChatID?, payload: JSONValue, dueAt: Date, firedAt: Date, isLate: Bool) {
        self.name = name
        self.chatID = chatID
        self.payload = payload
        self.dueAt = dueAt
        self.firedAt = firedAt
        self.isLate = isLate
    }
}
