import Foundation

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
