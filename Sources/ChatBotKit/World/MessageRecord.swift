import Foundation

/// A message as the world model keeps it: who wrote it, and where it stands in the
/// order the runtime saw the chat's messages.
public struct MessageRecord: Hashable, Sendable, Codable {
    public var id: MessageID
    public var senderID: UserID
    /// The sender's role when the message arrived, if known then.
    public var senderRole: UserRole?
    public var messageType: MessageType
    /// Its place in the chat's messages, in the order seen (1, 2, 3, ...).
    public var sequence: Int64
    public var createdAt: Date?
    /// When the runtime received it.
    public var receivedAt: Date

    public init(
        id: MessageID, senderID: UserID, senderRole: UserRole?, messageType: MessageType,
        sequence: Int64, createdAt: Date?, receivedAt: Date
    ) {
        self.id = id
        self.senderID = senderID
        self.senderRole = senderRole
        self.messageType = messageType
        self.sequence = sequence
        self.createdAt = createdAt
        self.receivedAt = receivedAt
    }
}

/// A kept message's place: its chat and its sequence there.
public struct MessageKey: Hashable, Sendable, Comparable {
    public var chatID: ChatID
    public var sequence: Int64

    public init(chatID: ChatID, sequence: Int64) {
        self.chatID = chatID
        self.sequence = sequence
    }

    public static func < (lhs: MessageKey, rhs: MessageKey) -> Bool {
        (lhs.chatID, lhs.sequence) < (rhs.chatID, rhs.sequence)
    }
}
