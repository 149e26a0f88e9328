import ChatBotKit
import Foundation

/// How many actions go out at once, and how fast: what a real backend, answering in
/// hundreds of milliseconds and limiting its callers, needs of the delivery.
public struct DeliveryLimits: Sendable, Equatable {
    /// What a 429 with `Retry-After` pauses.
    public enum PauseScope: String, Sendable, Equatable, CaseIterable, Decodable {
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
@Configurable
public struct DeliverySection: Sendable, Equatable, ValidatedConfiguration {
    /// Chat actions sent at once, and HTTP connections to the backend.
    public var maxInFlight: Int = 32
    /// One request to the backend, answer included.
    public var requestTimeout: ConfigDuration = 10
    /// How long an action is retried after its commit; then a dead letter and an alert.
    public var maxAge: ConfigDuration = .hours(1)
    /// All chat actions together; none by default.
    public var rateLimit: RateLimit?
    /// Sent at once after a quiet spell; one second of the rate by default, at least 1.
    public var rateBurst: Int?
    /// Each chat's actions; none by default.
    public var chatRateLimit: RateLimit?
    public var chatRateBurst: Int?
    /// What a 429 with `Retry-After` pauses.
    public var retryAfterPauses: DeliveryLimits.PauseScope = .chat
    /// Unsettled actions read into memory; the rest wait in the store.
    public var heldInMemory: Int = 10_000
    /// How alerts reach the webhook.
    public var alerts: AlertDelivery = AlertDelivery()

    /// `delivery.alerts:`
    @Configurable
    public struct AlertDelivery: Sendable, Equatable, ValidatedConfiguration {
        /// Alerts sent to the webhook at once.
        public var maxInFlight: Int = 4
        public var requestTimeout: ConfigDuration = 10
        public var maxAge: ConfigDuration = .hours(24)

        public func validate() throws {
            try DeliverySection.check(maxInFlight, "max_in_flight", 1...256)
            try DeliverySection.checkLonger(requestTimeout, "request_timeout")
            try DeliverySection.checkLonger(maxAge, "max_age")
        }
    }

    /// The limits the delivery runs with.
    public var limits: DeliveryLimits {
        DeliveryLimits(
            maxInFlight: maxInFlight, alertMaxInFlight: alerts.maxInFlight, globalRate: Self.rate(rateLimit, burst: rateBurst),
            perChatRate: Self.rate(chatRateLimit, burst: chatRateBurst), pauseScope: retryAfterPauses, heldLimit: heldInMemory)
    }

    public var alertRequestTimeout: ConfigDuration { alerts.requestTimeout }
    public var alertMaxAge: ConfigDuration { alerts.maxAge }

    public func validate() throws {
        try Self.check(maxInFlight, "max_in_flight", 1...1_024)
        try Self.check(heldInMemory, "held_in_memory", 100...10_000_000)
        try Self.checkLonger(requestTimeout, "request_timeout")
        try Self.checkLonger(maxAge, "max_age")
        for (burst, burstKey, limit, limitKey) in [
            (rateBurst, "rate_burst", rateLimit, "rate_limit"), (chatRateBurst, "chat_rate_burst", chatRateLimit, "chat_rate_limit"),
        ] {
            guard let burst else { continue }
            guard limit != nil else { throw ConfigurationInvalid(burstKey, "has no effect without \(limitKey)") }
            guard burst >= 1 else { throw ConfigurationInvalid(burstKey, "must be at least 1, not \(burst)") }
        }
    }

    /// A rate with its burst: the one given, else a second of the rate (at least 1).
    private static func rate(_ limit: RateLimit?, burst: Int?) -> RateLimit? {
        guard var limit else { return nil }
        limit.burst = max(1, burst ?? Int(limit.perSecond.rounded(.down)))
        return limit
    }

    fileprivate static func check(_ value: Int, _ key: String, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else { throw ConfigurationInvalid(key, "must be from \(range.lowerBound) to \(range.upperBound), not \(value)") }
    }

    fileprivate static func checkLonger(_ duration: ConfigDuration, _ key: String) throws {
        guard duration.seconds > 0 else { throw ConfigurationInvalid(key, "must be longer than 0s") }
    }
}
