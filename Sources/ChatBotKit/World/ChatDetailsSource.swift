/// Where the engine learns what events do not say about a chat, before any bot sees
/// it: the runtime asks the backend's chat-details route (PROTOCOL.md Part 3).
///
/// Asked before a `new_chat` enters the engine's sequence (for its topic), and before
/// an event in a chat the engine does not know (a chat it forgot, or one opened while
/// it was away: who its client is), concurrently with other inputs' preparations;
/// inputs after it wait their turn, so keep its timeout short.
public protocol ChatDetailsSource: Sendable {
    /// The chat's topic; `nil` when it has none or the answer did not come (the source
    /// logs why: bots then see the chat without a topic).
    func topic(of chat: ChatID) async -> String?

    /// What the backend says of the chat; `nil` when the answer did not come. By
    /// default, the topic alone.
    func details(of chat: ChatID) async -> ChatDetails?
}

extension ChatDetailsSource {
    public func details(of chat: ChatID) async -> ChatDetails? {
        ChatDetails(topic: await topic(of: chat))
    }
}

/// A chat as the chat-details route describes it; each field `nil` where not known.
public struct ChatDetails: Codable, Hashable, Sendable {
    public var clientID: UserID?
    public var type: ChatType?
    public var status: ChatStatus?
    public var topic: String?
    public var curatorID: UserID?

    public init(clientID: UserID? = nil, type: ChatType? = nil, status: ChatStatus? = nil, topic: String? = nil, curatorID: UserID? = nil) {
        self.clientID = clientID
        self.type = type
        self.status = status
        self.topic = topic
        self.curatorID = curatorID
    }
}
