/// `assign_curator`: a curator was assigned to a chat.
public struct CuratorAssignment: Hashable, Sendable, Codable {
    public var chatID: ChatID
    public var curatorID: UserID

    public init(chatID: ChatID, curatorID: UserID) {
        self.chatID = chatID
        self.curatorID = curatorID
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case curatorID = "curator_id"
    }
}
