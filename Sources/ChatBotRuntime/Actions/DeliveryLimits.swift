import ChatBotKit
import Foundation

/// How many actions go out at once, and how fast: what a real backend, answering in
/// hundreds of milliseconds and limiting its callers, needs of the delivery.
public struct DeliveryLimits: Sendable, Equatable {
    /// What a 429 with `Retry-After` pauses.
    public enum PauseScope: String, Sendable, Equatable, CaseIterable {
        /// Only the chat whose action was refused: a backend that limits per chat.
        case chat
        /// Every chat action to the backend: a backend that limits its caller as a whole.
        case backend
    }

    /// Chat actions being sent at once, at most; also the HTTP connections per host.
    public var maxInFlight: Int
    /// Alerts being sent to the webhook at once, at most.
    public var alertMaxInFlight: Int
    /// All chat actions together, at most this fast; `nil` for no limit.
    public var globalRate: RateLimit?
    /// Each chat's actions, at most this fast; `nil` for no limit.
    public var perChatRate: RateLimit?
    public var pauseScope: PauseScope
    /// Unsettled actions read into memory at a time; the rest wait in the store.
    public var heldLimit: Int
    /// Of one chat's (or one chat's alerts') actions, at most this many in memory.
    public var heldPerLane: Int

    public init(
        maxInFlight: Int = 32, alertMaxInFlight: Int = 4, globalRate: RateLimit? = nil, perChatRate: RateLimit? = nil,
        pauseScope: PauseScope = .chat, heldLimit: Int = 10_000, heldPerLane: Int = 8
    ) {
        self.maxInFlight = max(1, maxInFlight)
        self.alertMaxInFlight = max(1, alertMaxInFlight)
        self.globalRate = globalRate
        self.perChatRate = perChatRate
        self.pauseScope = pauseScope
        self.heldLimit = max(1, heldLimit)
        self.heldPerLane = max(1, heldPerLane)
    }

    func maxInFlight(_ channel: DeliveryQueue.Channel) -> Int {
        switch channel {
        case .backend: maxInFlight
        case .alerts: alertMaxInFlight
        }
    }
}

/// `delivery:` how committed actions reach the backend and alerts the webhook.
///
/// ```yaml
/// delivery:
///   max_in_flight: 32          # chat actions sent at once (and HTTP connections to the backend)
///   request_timeout: 10s       # one request to the backend, answer included
///   max_age: 1h                # retried until this long after its commit; then a dead letter and an alert
///   rate_limit: 50/s           # all chat actions together (N/s, N/min, N/h); none by default
///   rate_burst: 50             # sent at once after a quiet spell; default: one second of the rate, at least 1
///   chat_rate_limit: 20/min    # each chat's actions; none by default
///   chat_rate_burst: 1
///   retry_after_pauses: chat   # what a 429 pauses: `chat` (its chat) or `backend` (every chat action)
///   held_in_memory: 10000      # unsettled actions read into memory; the rest wait in the store
///   alerts:
///     max_in_flight: 4         # alerts sent to the webhook at once
///     request_timeout: 10s
///     max_age: 24h
/// ```
public struct DeliverySection: Decodable, Sendable, Equatable {
    public var limits = DeliveryLimits()
    public var requestTimeout = ConfigDuration(seconds: 10)
    public var maxAge = ConfigDuration(seconds: 3_600)
    public var alertRequestTimeout = ConfigDuration(seconds: 10)
    public var alertMaxAge = ConfigDuration(seconds: 86_400)

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case alerts
        case maxInFlight = "max_in_flight"
        case requestTimeout = "request_timeout"
        case maxAge = "max_age"
        case rateLimit = "rate_limit"
        case rateBurst = "rate_burst"
        case chatRateLimit = "chat_rate_limit"
        case chatRateBurst = "chat_rate_burst"
        case retryAfterPauses = "retry_after_pauses"
        case heldInMemory = "held_in_memory"
    }

    enum AlertKeys: String, CodingKey, CaseIterable {
        case maxInFlight = "max_in_flight"
        case requestTimeout = "request_timeout"
        case maxAge = "max_age"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var limits = DeliveryLimits()
        limits.maxInFlight = try Self.count(container, .maxInFlight, default: limits.maxInFlight, range: 1...1_024)
        limits.heldLimit = try Self.count(container, .heldInMemory, default: limits.heldLimit, range: 100...10_000_000)
        limits.globalRate = try Self.rate(container, .rateLimit, burst: .rateBurst)
        limits.perChatRate = try Self.rate(container, .chatRateLimit, burst: .chatRateBurst)
        if let scope = try container.decodeIfPresent(String.self, forKey: .retryAfterPauses) {
            guard let parsed = DeliveryLimits.PauseScope(rawValue: scope) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .retryAfterPauses, in: container, debugDescription: "must be \"chat\" or \"backend\", not \"\(scope)\""
                )
            }
            limits.pauseScope = parsed
        }
        requestTimeout = try Self.duration(container, .requestTimeout, default: requestTimeout)
        maxAge = try Self.duration(container, .maxAge, default: maxAge)
        if container.contains(.alerts) {
            let alerts = try container.superDecoder(forKey: .alerts)
            let nested = try alerts.container(keyedBy: AlertKeys.self)
            limits.alertMaxInFlight = try Self.count(nested, .maxInFlight, default: limits.alertMaxInFlight, range: 1...256)
            alertRequestTimeout = try Self.duration(nested, .requestTimeout, default: alertRequestTimeout)
            alertMaxAge = try Self.duration(nested, .maxAge, default: alertMaxAge)
        }
        self.limits = limits
    }

    private static func count<Key: CodingKey>(
        _ container: KeyedDecodingContainer<Key>, _ key: Key, default value: Int, range: ClosedRange<Int>
    ) throws -> Int {
        guard let given = try container.decodeIfPresent(Int.self, forKey: key) else { return value }
        guard range.contains(given) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "must be from \(range.lowerBound) to \(range.upperBound), not \(given)"
            )
        }
        return given
    }

    private static func duration<Key: CodingKey>(
        _ container: KeyedDecodingContainer<Key>, _ key: Key, default value: ConfigDuration
    ) throws -> ConfigDuration {
        guard let given = try container.decodeIfPresent(ConfigDuration.self, forKey: key) else { return value }
        guard given.seconds > 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must be longer than 0s")
        }
        return given
    }

    private static func rate(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, burst burstKey: CodingKeys) throws -> RateLimit? {
        let burst = try container.decodeIfPresent(Int.self, forKey: burstKey)
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else {
            if burst != nil {
                throw DecodingError.dataCorruptedError(
                    forKey: burstKey, in: container, debugDescription: "has no effect without \(key.stringValue)"
                )
            }
            return nil
        }
        if let burst, burst < 1 {
            throw DecodingError.dataCorruptedError(forKey: burstKey, in: container, debugDescription: "must be at least 1, not \(burst)")
        }
        guard var limit = RateLimit.parse(text, burst: burst) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "a rate is COUNT/s, COUNT/min or COUNT/h (such as 20/min), not \"\(text)\""
            )
        }
        if burst == nil { limit.burst = max(1, Int(limit.perSecond.rounded(.down))) }
        return limit
    }
}
