/// Something a bot wants done on the backend: recorded during a handler, committed with
/// it, then delivered by the runtime (retried, with a stable idempotency key).
public enum BotAction: Hashable, Sendable, Codable {
    /// Send a text message to a chat, as the service account.
    case sendMessage(chatID: ChatID, text: String)
    /// Assign a curator to a chat.
    case assignCurator(chatID: ChatID, curatorID: UserID)
    /// Change a chat's status.
    case changeStatus(chatID: ChatID, status: ChatStatus)
    /// Mark a chat read up to a message, as the service account.
    case markRead(chatID: ChatID, lastMessageID: MessageID)
    /// Raise an alert to the configured sink (a webhook, the log).
    case alert(Alert)

    /// The chat the action is about, if any.
    public var chatID: ChatID? {
        switch self {
        case .sendMessage(let chatID, _), .assignCurator(let chatID, _), .changeStatus(let chatID, _), .markRead(let chatID, _):
            chatID
        case .alert(let alert):
            alert.chatID
        }
    }

    /// Every ``kind``, for labels and tables that list them all.
    public static let kinds = ["send_message", "assign_curator", "change_status", "mark_read", "alert"]

    /// A short name of the kind of action, for logs and metrics.
    public var kind: String {
        switch self {
        case .sendMessage: "send_message"
        case .assignCurator: "assign_curator"
        case .changeStatus: "change_status"
        case .markRead: "mark_read"
        case .alert: "alert"
        }
    }
}

/// An alert that is not a chat message: an SLA breach, a queue nobody serves.
public struct Alert: Hashable, Sendable, Codable {
    /// How urgent it is.
    public enum Level: String, Hashable, Sendable, Codable, CaseIterable {
        case info, warning, critical
    }

    /// One line for a person (the `text` of Slack/Mattermost-style webhooks).
    public var text: String
    public var level: Level
    /// The chat it is about, if any.
    public var chatID: ChatID?
    /// Details for machines: message id, waited seconds, curator, ...
    public var details: [String: JSONValue]

    public init(text: String, level: Level = .warning, chatID: ChatID? = nil, details: [String: JSONValue] = [:]) {
        self.text = text
        self.level = level
        self.chatID = chatID
        self.details = details
    }
}
