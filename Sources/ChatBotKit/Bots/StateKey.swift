/// Whose a piece of bot state is: the bot's own, or one chat's or one user's.
///
/// The scope tells the engine which keys belong to a chat, so a chat's state can be
/// read from the store when the chat becomes active and leave memory when it goes
/// quiet, and so that forgetting a chat forgets its state.
public enum StateScope: Hashable, Sendable {
    /// The bot's own state, about no chat or user in particular (a queue, a turn).
    case bot
    /// State about one chat.
    case chat(ChatID)
    /// State about one user (a curator's load, a client's last curator).
    case user(UserID)
}

/// A typed key of a bot's state: a name, the type of its value, and its scope.
///
/// Declare a key once, as a static member of the bot, and read and write it through
/// the ``BotContext``:
///
/// ```swift
/// static func greeted(_ chat: ChatID) -> StateKey<Bool> { .chat(chat, "greeted") }
///
/// if context.state(Self.greeted(opened.chatID)) == nil { ... }
/// context.set(Self.greeted(opened.chatID), to: true)
/// ```
///
/// Values are stored as JSON, so a value type's `Codable` must round-trip. Names need
/// only be unique within a bot and scope; no bot builds or parses key strings.
public struct StateKey<Value: Codable & Sendable>: Hashable, Sendable {
    /// The key's name within its bot and scope.
    public let name: String
    public let scope: StateScope

    public init(_ name: String, scope: StateScope) {
        self.name = name
        self.scope = scope
    }

    /// A key of the bot's own state.
    public static func bot(_ name: String) -> StateKey {
        StateKey(name, scope: .bot)
    }

    /// A key of state about `chat`.
    public static func chat(_ chat: ChatID, _ name: String) -> StateKey {
        StateKey(name, scope: .chat(chat))
    }

    /// A key of state about `user`.
    public static func user(_ user: UserID, _ name: String) -> StateKey {
        StateKey(name, scope: .user(user))
    }
}
