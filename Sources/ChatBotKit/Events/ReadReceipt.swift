/// `read_chat_message`: a user read a chat up to and including a message.
public struct ReadReceipt: Hashable, Sendable, Codable {
    public var chatID: ChatID
    /// The last message read. Earlier messages count as read too.
    public var lastMessageID: MessageID
    /// Who read.
    public var readerID: UserID

    public init(chatID: ChatID, lastMessageID: MessageID, readerID: UserID) {
        self.chatID = chatID
        self.lastMessageID = lastMessageID
        self.readerID = readerID
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case lastMessageID = "last_message_id"
        case readerID = "user_id"
    }
}
