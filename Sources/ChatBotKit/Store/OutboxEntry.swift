import Foundation

/// An action waiting for delivery, or being delivered.
public struct OutboxEntry: Hashable, Sendable {
    /// The store's id; `nil` until stored.
    public var id: Int64?
    /// Sent as `Idempotency-Key` on every attempt, so the backend applies it once.
    public var idempotencyKey: String
    public var bot: String
    public var action: BotAction
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    /// When the action goes stale: not sent from then on, but recorded as expired.
    /// `nil` for an action that never expires.
    public var expiresAt: Date?

    public init(
        id: Int64? = nil, idempotencyKey: String, bot: String, action: BotAction, createdAt: Date, attempts: Int = 0,
        nextAttemptAt: Date, expiresAt: Date? = nil
    ) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.bot = bot
        self.action = action
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.expiresAt = expiresAt
    }
}

/// What became of one delivery attempt.
public enum DeliveryOutcome: Hashable, Sendable {
    /// Accepted by the backend: done.
    case delivered
    /// Failed in a way worth retrying; try again at the given time.
    case retry(at: Date, reason: String)
    /// Failed for good: kept as a dead letter with the reason (the response body).
    case deadLetter(reason: String)
    /// Went stale before it could be sent (its ``OutboxEntry/expiresAt`` passed): not
    /// sent, kept with the reason.
    case expired(reason: String)
}
