import Foundation

/// What a store holds, as loaded at start.
public struct StoreSnapshot: Sendable {
    public var chats: [ChatRecord]
    public var users: [UserRecord]
    /// The bots' state: all of it from ``Store/load()``; from a ``StateOnDemandStore``,
    /// the bot- and user-scoped keys only (chats' keys are read when a chat is active).
    public var botState: [StoredBotState]
    public var timers: [StoredTimer]

    public init(chats: [ChatRecord] = [], users: [UserRecord] = [], botState: [StoredBotState] = [], timers: [StoredTimer] = []) {
        self.chats = chats
        self.users = users
        self.botState = botState
        self.timers = timers
    }
}

/// Where one value of bot state lives: its bot, scope and name.
public struct StoredStateKey: Hashable, Sendable, CustomStringConvertible {
    public var bot: String
    public var scope: StateScope
    public var name: String

    public init(bot: String, scope: StateScope, name: String) {
        self.bot = bot
        self.scope = scope
        self.name = name
    }

    /// The chat whose key this is, for a chat-scoped key.
    public var chatID: ChatID? {
        if case .chat(let chat) = scope { chat } else { nil }
    }

    /// `name` (bot scope), `chat:ID:name` or `user:ID:name`: for logs and listings.
    public var description: String {
        switch scope {
        case .bot: name
        case .chat(let chat): "chat:\(chat):\(name)"
        case .user(let user): "user:\(user):\(name)"
        }
    }
}

/// One value of one bot's state.
public struct StoredBotState: Hashable, Sendable {
    public var key: StoredStateKey
    /// The JSON value; `nil` when the key is removed (in a ``Commit``).
    public var data: Data?

    public init(key: StoredStateKey, data: Data?) {
        self.key = key
        self.data = data
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

extension StateKey {
    /// Where this key of `bot` is stored.
    public func stored(by bot: String) -> StoredStateKey {
        StoredStateKey(bot: bot, scope: scope, name: name)
    }
}
