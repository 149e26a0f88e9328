import Foundation

/// Where the engine keeps what must survive a restart: the world model, the bots'
/// state, pending timers, and the outbox of actions to deliver.
///
/// The engine is the only writer. It reads everything once at start with
/// ``load()``, then hands over batches of commits, each applied in one transaction
/// by ``commit(_:)``: a batch is all or nothing. The SQLite store lives in
/// `ChatBotRuntime`; `ChatBotTesting` has one in memory.
public protocol Store: Sendable {
    /// Everything stored, to start from.
    func load() async throws -> StoreSnapshot

    /// Applies commits in order, in one transaction.
    func commit(_ commits: [Commit]) async throws

    /// Outbox entries not yet delivered whose next attempt is due, oldest first.
    func dueActions(at date: Date, limit: Int) async throws -> [OutboxEntry]

    /// Records what became of one delivery attempt.
    func settle(_ id: Int64, as outcome: DeliveryOutcome) async throws
}

/// What a store holds, as loaded at start.
public struct StoreSnapshot: Sendable {
    public var chats: [ChatRecord]
    public var users: [UserRecord]
    public var botState: [StoredBotState]
    public var timers: [StoredTimer]

    public init(chats: [ChatRecord] = [], users: [UserRecord] = [], botState: [StoredBotState] = [], timers: [StoredTimer] = []) {
        self.chats = chats
        self.users = users
        self.botState = botState
        self.timers = timers
    }
}

/// One key of one bot's state.
public struct StoredBotState: Hashable, Sendable {
    public var bot: String
    public var key: String
    /// The JSON value; `nil` when the key was removed.
    public var data: Data?
    public var version: Int64

    public init(bot: String, key: String, data: Data?, version: Int64) {
        self.bot = bot
        self.key = key
        self.data = data
        self.version = version
    }
}

/// A pending timer of one bot.
public struct StoredTimer: Hashable, Sendable {
    public var bot: String
    public var request: TimerRequest

    public init(bot: String, request: TimerRequest) {
        self.bot = bot
        self.request = request
    }
}

/// What one handled event (or fired timer) changes, committed as a unit.
public struct Commit: Sendable {
    /// The chats and users as they are now, for those the event touched.
    public var chats: [ChatRecord] = []
    public var users: [UserRecord] = []
    public var stateWrites: [StoredBotState] = []
    /// Timers to store (replacing any of the same bot and name).
    public var timersScheduled: [StoredTimer] = []
    /// Timers to remove: cancelled, or fired and handled.
    public var timersRemoved: [TimerKey] = []
    /// Actions to deliver once this commit is durable.
    public var actions: [OutboxEntry] = []

    public init() {}
}

/// A timer's identity: its bot and its name.
public struct TimerKey: Hashable, Sendable, Codable {
    public var bot: String
    public var name: String

    public init(bot: String, name: String) {
        self.bot = bot
        self.name = name
    }
}

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

    public init(id: Int64? = nil, idempotencyKey: String, bot: String, action: BotAction, createdAt: Date, attempts: Int = 0, nextAttemptAt: Date) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.bot = bot
        self.action = action
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
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
}
