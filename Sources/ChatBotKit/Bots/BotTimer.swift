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
    public var payload: JSONValue {
        get { (try? decodedPayload()) ?? .null }
        set { storedPayload = .value(newValue) }
    }

    /// A timer loaded from a store keeps its payload as the JSON it was stored as until
    /// it fires: a desk has a pending timer or two per open chat, and a decoded payload
    /// (a dictionary of strings) costs several times its JSON in memory and in start-up.
    private var storedPayload: StoredPayload

    private enum StoredPayload: Sendable {
        case value(JSONValue)
        /// Bytes in an array: one allocation (a `Data` of this size takes two).
        case json([UInt8])
    }

    public init(name: String, fireAt: Date, chatID: ChatID? = nil, payload: JSONValue = .null) {
        self.name = name
        self.fireAt = fireAt
        self.chatID = chatID
        self.storedPayload = .value(payload)
    }

    /// A timer as a store read it, its payload still the JSON it was stored as.
    package init(name: String, fireAt: Date, chatID: ChatID?, payloadJSON: Data) {
        self.name = name
        self.fireAt = fireAt
        self.chatID = chatID
        self.storedPayload = .json(Array(payloadJSON))
    }

    /// The payload as the JSON it was loaded as, if it has not been decoded or replaced.
    package var payloadJSON: Data? {
        guard case .json(let bytes) = storedPayload else { return nil }
        return Data(bytes)
    }

    /// The payload, decoded if it was loaded as JSON; throws if that JSON does not parse.
    package func decodedPayload() throws -> JSONValue {
        switch storedPayload {
        case .value(let value): value
        case .json(let bytes): try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        }
    }

    public static func == (lhs: TimerRequest, rhs: TimerRequest) -> Bool {
        lhs.name == rhs.name && lhs.fireAt == rhs.fireAt && lhs.chatID == rhs.chatID && lhs.payload == rhs.payload
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(fireAt)
        hasher.combine(chatID)
        hasher.combine(payload)
    }

    private enum CodingKeys: String, CodingKey {
        case name, fireAt, chatID, payload
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name), fireAt: try container.decode(Date.self, forKey: .fireAt),
            chatID: try container.decodeIfPresent(ChatID.self, forKey: .chatID),
            payload: try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(fireAt, forKey: .fireAt)
        try container.encodeIfPresent(chatID, forKey: .chatID)
        try container.encode(payload, forKey: .payload)
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
