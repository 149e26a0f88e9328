import ChatBotKit

/// Chat details from a table, for tests: what the backend's chat-details route would
/// answer.
///
/// ```swift
/// let configuration = EngineConfiguration(serviceAccountID: "1000", chatDetails: FixedChatDetails(topics: ["7": "billing"]))
/// ```
public struct FixedChatDetails: ChatDetailsSource {
    public var topics: [ChatID: String]

    public init(topics: [ChatID: String]) {
        self.topics = topics
    }

    public func topic(of chat: ChatID) async -> String? {
        topics[chat]
    }
}
