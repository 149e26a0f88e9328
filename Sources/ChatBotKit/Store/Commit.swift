import Foundation

/// What one handled event (or fired timer) changes, committed as a unit.
public struct Commit: Sendable {
    /// The chats and users as they are now, for those the event touched.
    public var chats: [ChatRecord] = []
    public var users: [UserRecord] = []
    /// The messages the event recorded, as kept in `chats`: a store that keeps messages
    /// apart from their chat writes these and ``messagesRemoved`` instead of each
    /// chat's whole history; one that keeps whole records can ignore both.
    public var messages: [StoredMessage] = []
    /// Messages no longer kept (deleted, or past the world's limit), to remove before
    /// ``messages`` are written.
    public var messagesRemoved: [MessageKey] = []
    public var stateWrites: [StoredBotState] = []
    /// Timers to store (replacing any of the same bot and name).
    public var timersScheduled: [StoredTimer] = []
    /// Timers to remove: cancelled, or fired and handled.
    public var timersRemoved: [TimerKey] = []
    /// Actions to deliver once this commit is durable.
    public var actions: [OutboxEntry] = []
    /// Closed chats the engine forgot (retention): their messages, read marks, bots'
    /// chat-scoped state and timers go; the chat's row stays, marked forgotten at that
    /// time, until the store's own retention deletes it. A forgotten chat is not loaded.
    public var chatsForgotten: [ForgottenChat] = []

    public init() {}

    /// Whether the commit stores nothing.
    public var isEmpty: Bool {
        chats.isEmpty && users.isEmpty && messages.isEmpty && messagesRemoved.isEmpty && stateWrites.isEmpty
            && timersScheduled.isEmpty && timersRemoved.isEmpty && actions.isEmpty && chatsForgotten.isEmpty
    }
}

/// A closed chat the engine forgot, and when.
public struct ForgottenChat: Hashable, Sendable {
    public var chatID: ChatID
    public var at: Date

    public init(chatID: ChatID, at: Date) {
        self.chatID = chatID
        self.at = at
    }
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

/// A kept message with its chat, as a store writes it.
public struct StoredMessage: Hashable, Sendable {
    public var chatID: ChatID
    public var message: MessageRecord

    public init(chatID: ChatID, message: MessageRecord) {
        self.chatID = chatID
        self.message = message
    }
}
