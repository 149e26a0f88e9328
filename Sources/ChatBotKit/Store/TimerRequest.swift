import Foundation

/// A pending timer as the engine and the store keep it: it fires once at `fireAt`,
/// through its bot's ``Bot/timerFired(_:in:)``. Timers are durable: they survive
/// restarts.
public struct TimerRequest: Hashable, Sendable {
    /// The timer's name within its bot: scheduling a name again replaces the timer.
    public var name: String
    /// Its ``TimerKind`` name, which routes it when it fires.
    public var kind: String
    public var fireAt: Date
    /// The chat it belongs to, if any: forgetting the chat forgets the timer.
    public var chatID: ChatID?
    /// The payload, as JSON bytes (an array: one allocation; a desk keeps a timer or two
    /// per open chat).
    public var payload: [UInt8]

    public init(name: String, kind: String, fireAt: Date, chatID: ChatID? = nil, payload: [UInt8] = Array("{}".utf8)) {
        self.name = name
        self.kind = kind
        self.fireAt = fireAt
        self.chatID = chatID
        self.payload = payload
    }

    /// The name a timer of `kind` in `chat` (and `instance`) is stored under.
    static func name(kind: String, chat: ChatID?, instance: String?) -> String {
        var name = kind
        if let instance { name += ".\(instance)" }
        if let chat { name += ".\(chat)" }
        return name
    }
}
