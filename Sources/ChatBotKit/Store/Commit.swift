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
