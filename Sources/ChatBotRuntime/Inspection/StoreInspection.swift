import ChatBotKit
import Foundation

/// What `chatbots state` shows of a whole store: enough to tell at a glance whether the
/// desk is served and whether anything is stuck.
public struct StoreSummary: Codable, Sendable, Equatable {
    /// Chats by their last status (`open` when no status was seen), but those retention
    /// forgot.
    public var chatsByStatus: [String: Int]
    /// Open chats that have no curator.
    public var waitingChats: [ChatID]
    public var curatorsKnown: Int
    public var curatorsOnline: [UserID]
    public var pendingTimers: Int
    public var nextTimerDue: Date?
    public var outboxPending: Int
    public var outboxDelivered: Int
    public var deadLetters: Int
    /// Closed chats retention forgot whose rows the store still keeps.
    public var chatsForgotten: Int
}

/// Everything the store holds about one chat: what the runtime saw, what the bots kept,
/// what they have scheduled, and what they did.
public struct ChatInspection: Codable, Sendable {
    /// One bot's value that concerns the chat.
    public struct StateEntry: Codable, Sendable, Equatable {
        public var bot: String
        public var key: String
        public var value: JSONValue
    }

    /// A pending timer of the chat.
    public struct TimerEntry: Codable, Sendable, Equatable {
        public var bot: String
        public var name: String
        public var fireAt: Date
        public var payload: JSONValue
    }

    /// An action a bot took in the chat, and what became of it.
    public struct ActionEntry: Codable, Sendable, Equatable {
        public var id: Int64
        public var bot: String
        public var action: BotAction
        public var idempotencyKey: String
        /// `pending`, `delivered` or `dead`.
        public var status: String
        public var attempts: Int
        public var createdAt: Date
        public var settledAt: Date?
        public var lastError: String?
    }

    public var chat: ChatRecord
    public var state: [StateEntry]
    public var timers: [TimerEntry]
    public var actions: [ActionEntry]
}

/// A dead letter, for listing and re-queueing; or an action that expired unsent,
/// listed with them (it is kept, not re-queued: it went stale).
public struct DeadLetter: Codable, Sendable, Equatable {
    public var id: Int64
    public var bot: String
    public var action: BotAction
    public var attempts: Int
    public var reason: String
    public var settledAt: Date?
    /// Whether it expired unsent rather than being refused or given up on.
    public var expired = false
}
