import Foundation

/// What `/ready` reports: whether the runtime can do its job now, and why not.
public struct RuntimeStatus: Sendable, Encodable, Equatable {
    /// The socket to the backend is open.
    public var connected: Bool
    /// The store took its write lock within the check's budget.
    public var storeWritable: Bool
    /// Why the store did not, if it did not.
    public var storeProblem: String?
    /// Committed actions waiting for delivery.
    public var outboxPending: Int
    /// The backlog above which the runtime is not ready (`monitoring.ready_max_outbox`).
    public var outboxLimit: Int
    /// Actions the backend refused for good.
    public var deadLetters: Int
    /// Bot timers waiting to fire.
    public var pendingTimers: Int
    /// Seconds since the last event was decoded; `nil` before the first.
    public var secondsSinceLastEvent: Double?
    /// When the last event was decoded; `nil` before the first.
    public var lastEventAt: Date?
    /// How long the oldest action waiting for delivery has waited; `nil` when none waits.
    public var oldestPendingAgeSeconds: Double?
    /// The actions the delivery holds, by what they wait on (`in_flight`,
    /// `behind_chat`, `backoff`, `rate_limited`, `paused`, `capacity`).
    public var outboxWaiting: [String: Int] = [:]
    /// What the last catch-up after a gap recovered ("recovered 5 chats and 12
    /// messages after 31 s down"), and when; `nil` before the first.
    public var lastCatchUp: String?
    public var lastCatchUpAt: Date?
    /// Where the runtime stands among those sharing a PostgreSQL store; `nil` on SQLite.
    public var lease: LeaseStatus?

    /// A runtime's side of the leader's lease.
    public struct LeaseStatus: Sendable, Encodable, Equatable {
        /// `leader` or `standby`.
        public var role: String
        /// The term it leads under, or the last it saw another lead under.
        public var term: Int64
        /// How many times it took the lease.
        public var takeovers: Int
        /// Seconds since it last heard from the database about the lease (renewed it,
        /// or looked at it standing by).
        public var ageSeconds: Double?
        /// Why the database could not be asked, when it could not.
        public var problem: String?

        var isLeader: Bool { role == "leader" }

        enum CodingKeys: String, CodingKey {
            case role, term, takeovers, problem
            case ageSeconds = "age_seconds"
        }
    }

    /// Connected, the store writable, the outbox backlog within its limit; a standby,
    /// which reads nothing, is ready while it can reach the database to take over.
    public var isReady: Bool {
        if let lease, !lease.isLeader { return storeWritable && lease.problem == nil }
        return connected && storeWritable && outboxPending <= outboxLimit
    }

    /// What is wrong, one phrase each; empty when ready.
    public var problems: [String] {
        if let lease, !lease.isLeader {
            return [lease.problem, storeWritable ? nil : "store not writable: \(storeProblem ?? "unknown")"].compactMap { $0 }
        }
        var problems: [String] = []
        if let problem = lease?.problem { problems.append(problem) }
        if !connected { problems.append("not connected to the backend") }
        if !storeWritable { problems.append("store not writable: \(storeProblem ?? "unknown")") }
        if outboxPending > outboxLimit { problems.append("outbox backlog \(outboxPending) is over the limit of \(outboxLimit)") }
        return problems
    }

    enum CodingKeys: String, CodingKey {
        case ready, problems, connected
        case storeWritable = "store_writable"
        case outboxPending = "outbox_pending"
        case outboxLimit = "outbox_limit"
        case deadLetters = "dead_letters"
        case pendingTimers = "pending_timers"
        case secondsSinceLastEvent = "seconds_since_last_event"
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case outboxWaiting = "outbox_waiting"
        case lastCatchUp = "last_catch_up"
        case lastCatchUpAt = "last_catch_up_at"
        case lease
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(isReady, forKey: .ready)
        try container.encode(problems, forKey: .problems)
        try container.encode(connected, forKey: .connected)
        try container.encode(storeWritable, forKey: .storeWritable)
        try container.encode(outboxPending, forKey: .outboxPending)
        try container.encode(outboxLimit, forKey: .outboxLimit)
        try container.encode(deadLetters, forKey: .deadLetters)
        try container.encode(pendingTimers, forKey: .pendingTimers)
        try container.encodeIfPresent(secondsSinceLastEvent, forKey: .secondsSinceLastEvent)
        try container.encodeIfPresent(oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
        try container.encode(outboxWaiting, forKey: .outboxWaiting)
        try container.encodeIfPresent(lastCatchUp, forKey: .lastCatchUp)
        try container.encodeIfPresent(lastCatchUpAt.map { $0.formatted(.iso8601) }, forKey: .lastCatchUpAt)
        try container.encodeIfPresent(lease, forKey: .lease)
    }
}
