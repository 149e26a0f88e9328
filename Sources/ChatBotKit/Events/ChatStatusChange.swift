/// `update_chat_status`: a chat's status changed.
public struct ChatStatusChange: Hashable, Sendable, Codable {
    public var chatID: ChatID
    public var status: ChatStatus

    public init(chatID: ChatID, status: ChatStatus) {
        self.chatID = chatID
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case status
    }
}
