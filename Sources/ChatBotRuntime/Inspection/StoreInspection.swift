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
    /// Who leads, on a store that runtimes share (PostgreSQL); `nil` on SQLite.
    public var lease: LeaseState?
}

extension StoreSummary {
    /// The summary of a store's chats and users (those retention has not forgotten) and
    /// its counts: the same arithmetic over either store's rows.
    init(
        chats: [ChatRecord], users: [UserRecord], closedStatuses: Set<ChatStatus>, outboxByStatus counts: [String: Int], pendingTimers: Int,
        nextTimerDue: Date?, chatsForgotten: Int
    ) {
        var byStatus: [String: Int] = [:]
        for chat in chats { byStatus[chat.status?.wireValue ?? "open", default: 0] += 1 }
        let curators = users.filter { $0.role == .curator }
        let isOpen: (ChatRecord) -> Bool = { chat in chat.status.map { !closedStatuses.contains($0) } ?? true }
        self.init(
            chatsByStatus: byStatus, waitingChats: chats.filter { $0.curatorID == nil && isOpen($0) }.map(\.id).sorted(),
            curatorsKnown: curators.count, curatorsOnline: curators.filter(\.isOnline).map(\.id).sorted(), pendingTimers: pendingTimers,
            nextTimerDue: nextTimerDue, outboxPending: counts["pending"] ?? 0, outboxDelivered: counts["delivered"] ?? 0,
            deadLetters: counts["dead"] ?? 0, chatsForgotten: chatsForgotten
        )
    }
}

/// Everything the store holds about one chat: what the runtime saw, what the bots kept,
/// what they have scheduled, and what they did.
public struct ChatInspection: Codable, Sendable {
    /// One bot's value that concerns the chat.
    public struct StateEntry: Codable, Sendable, Equatable {
        public var bot: String
        public var key: String
        public var value: JSONValue

        /// The stored keys as entries, by bot and key (a value that is not JSON as text).
        static func entries(_ states: [StoredBotState]) -> [StateEntry] {
            states.compactMap { state -> StateEntry? in
                guard let value = state.data else { return nil }
                let json = (try? JSONDecoder().decode(JSONValue.self, from: value)) ?? .string(String(decoding: value, as: UTF8.self))
                return StateEntry(bot: state.key.bot, key: "\(state.key)", value: json)
            }.sorted { ($0.bot, $0.key) < ($1.bot, $1.key) }
        }
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
