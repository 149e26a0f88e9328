/// `delete_message`: a message was deleted.
public struct MessageDeletion: Hashable, Sendable, Codable {
    public var chatID: ChatID
    public var messageID: MessageID

    public init(chatID: ChatID, messageID: MessageID) {
        self.chatID = chatID
        self.messageID = messageID
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case messageID = "message_id"
    }
}
