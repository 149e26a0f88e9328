import ChatBotKit
import Foundation

extension OpenChat {
    /// Reads one entry of the open-chats route's answer, tolerantly (ids as strings or
    /// numbers, unknown fields ignored); `nil` without an id.
    init?(listed item: JSONValue) {
        guard let id = item["id"]?.textValue else { return nil }
        let details = ChatDetails(
            clientID: item["user_id"]?.textValue.map { UserID($0) }, type: item["chat_type"]?.textValue.map(ChatType.init(wireValue:)),
            status: item["status"]?.textValue.map(ChatStatus.init(wireValue:)), topic: item["topic"]?.textValue,
            curatorID: item["curator_id"]?.textValue.map { UserID($0) }
        )
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
