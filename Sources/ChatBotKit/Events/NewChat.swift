/// `new_chat`: a client opened a chat.
public struct NewChat: Hashable, Sendable, Codable {
    /// The chat's client: the user who opened it.
    public var clientID: UserID
    /// The new chat.
    public var chatID: ChatID
    /// Whether the chat is about an order or a topic.
    public var chatType: ChatType

    public init(clientID: UserID, chatID: ChatID, chatType: ChatType) {
        self.clientID = clientID
        self.chatID = chatID
        self.chatType = chatType
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "user_id"
        case chatID = "chat_id"
        case chatType = "chat_type"
    }
}
