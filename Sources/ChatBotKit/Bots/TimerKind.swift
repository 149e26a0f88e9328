import Foundation

/// A kind of timer a bot schedules: its name, and the type of the payload it carries
/// back when it fires.
///
/// ```swift
/// static let nudge = TimerKind<NudgePayload>("nudge")
///
/// context.schedule(Self.nudge, after: .minutes(10), chat: message.chatID, payload: NudgePayload(...))
///
/// func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
///     if let nudge = try timer.payload(Self.nudge) { ... }
/// }
/// ```
///
/// A timer is known by its kind, its chat and its `instance` (for a bot that keeps
/// several timers of one kind in one chat): scheduling the same again replaces it.
public struct TimerKind<Payload: Codable & Sendable>: Hashable, Sendable {
    /// The kind's name within its bot. Keep it free of dots: stored timer names are
    /// the kind, the instance and the chat joined by dots.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }
}

/// The payload of a timer that carries nothing but its kind, chat and instance.
public struct NoPayload: Codable, Hashable, Sendable {
    public init() {}
}

/// A timer that came due.
public struct FiredTimer: Hashable, Sendable {
    /// The timer's kind (``TimerKind/name``).
    public var kind: String
    /// The timer's name within its bot: its kind, instance and chat.
    public var name: String
    public var chatID: ChatID?
    /// The payload as the JSON it was stored as; read it typed with ``payload(_:)``.
    public var payloadJSON: Data
    /// When it was due.
    public var dueAt: Date
    /// When it fired.
    public var firedAt: Date
    /// It came due while the runtime was not running, and fires late, on start.
    public var isLate: Bool

    public init(kind: String, name: String, chatID: ChatID?, payloadJSON: Data, dueAt: Date, firedAt: Date, isLate: Bool) {
        self.kind = kind
        self.name = name
        self.chatID = chatID
        self.payloadJSON = payloadJSON
        self.dueAt = dueAt
        self.firedAt = firedAt
        self.isLate = isLate
    }

    /// The payload, if this timer is of `kind`; `nil` if it is of another kind. Throws
    /// if its stored payload does not decode as the kind's type.
    public func payload<Payload>(_ kind: TimerKind<Payload>) throws -> Payload? {
        guard self.kind == kind.name else { return nil }
        return try JSONDecoder().decode(Payload.self, from: payloadJSON)
    }

    /// Whether this timer is of `kind`.
    public func `is`<Payload>(_ kind: TimerKind<Payload>) -> Bool {
        self.kind == kind.name
    }
}
