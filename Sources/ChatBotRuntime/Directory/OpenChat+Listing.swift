import ChatBotKit
import Foundation

extension ChatDetails {
    /// Reads a chat as the backend describes it, in the chat-details route and in each
    /// entry of the open-chats route alike (PROTOCOL.md Part 3: `user_id`, `chat_type`,
    /// `status`, `topic`, `curator_id`), tolerantly: ids as strings or numbers, each
    /// field `nil` where missing.
    init(described chat: JSONValue) {
        self.init(
            clientID: chat["user_id"]?.textValue.map { UserID($0) }, type: chat["chat_type"]?.textValue.map(ChatType.init(wireValue:)),
            status: chat["status"]?.textValue.map(ChatStatus.init(wireValue:)), topic: chat["topic"]?.textValue,
            curatorID: chat["curator_id"]?.textValue.map { UserID($0) }
        )
    }
}

extension OpenChat {
    /// Reads one entry of the open-chats route's answer, tolerantly (ids as strings or
    /// numbers, unknown fields ignored); `nil` without an id.
    init?(listed item: JSONValue) {
        guard let id = item["id"]?.textValue else { return nil }
        let details = ChatDetails(described: item)
        let listed: [JSONValue] = if case .array(let values)? = item["messages"] { values } else { [] }
        let messages: [Message] = listed.compactMap { message in
            guard let id = message["id"]?.textValue, let sender = message["sender"]?.textValue else { return nil }
            let readers: [JSONValue] = if case .array(let values)? = message["read_by"] { values } else { [] }
            return Message(
                id: MessageID(id), senderID: UserID(sender), type: MessageType(wireValue: message["message_type"]?.textValue ?? "text"),
                text: message["text"]?.textValue,
                createdAt: message["created_at"]?.textValue.flatMap { try? Date($0, strategy: .iso8601) },
                readBy: Set(readers.compactMap(\.textValue).map { UserID($0) })
            )
        }
        self.init(id: ChatID(id), details: details, messages: messages)
    }
}
