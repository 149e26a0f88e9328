import ChatBotKit
import Foundation

/// A chat still open, as the backend's open-chats route lists it: what catching up after
/// a gap compares with what the runtime knows.
public struct OpenChat: Sendable, Hashable {
    /// One of its latest messages, and who has read it.
    public struct Message: Sendable, Hashable {
        public var id: MessageID
        public var senderID: UserID
        public var type: MessageType
        public var createdAt: Date?
        public var readBy: Set<UserID>
    }

    public var id: ChatID
    /// Its client, type, status, topic and curator, where the answer gives them.
    public var details: ChatDetails
    /// The latest messages, oldest first.
    public var messages: [Message]

    /// Reads one entry of the route's answer, tolerantly (ids as strings or numbers,
    /// unknown fields ignored); `nil` without an id.
    init?(_ item: JSONValue) {
        guard let id = item["id"]?.textValue else { return nil }
        self.id = ChatID(id)
        details = ChatDetails(
            clientID: item["user_id"]?.textValue.map { UserID($0) }, type: item["chat_type"]?.textValue.map(ChatType.init(wireValue:)),
            status: item["status"]?.textValue.map(ChatStatus.init(wireValue:)), topic: item["topic"]?.textValue,
            curatorID: item["curator_id"]?.textValue.map { UserID($0) }
        )
        let listed: [JSONValue] = if case .array(let values)? = item["messages"] { values } else { [] }
        messages = listed.compactMap { message in
            guard let id = message["id"]?.textValue, let sender = message["sender"]?.textValue else { return nil }
            let readers: [JSONValue] = if case .array(let values)? = message["read_by"] { values } else { [] }
            return Message(
                id: MessageID(id), senderID: UserID(sender), type: MessageType(wireValue: message["message_type"]?.textValue ?? "text"),
                createdAt: message["created_at"]?.textValue.flatMap { try? Date($0, strategy: .iso8601) },
                readBy: Set(readers.compactMap(\.textValue).map { UserID($0) })
            )
        }
    }
}
