/// One event from the backend: the eight of its document, or one it added later.
///
/// ```swift
/// switch event {
/// case .newChat(let chat): print("chat \(chat.chatID) opened by \(chat.clientID)")
/// case .newMessage(let message): print("\(message.senderID): \(message.text ?? "")")
/// default: break
/// }
/// ```
public enum ChatEvent: Hashable, Sendable {
    /// `user_status`: a user came online or went offline.
    case userStatus(UserStatusChange)
    /// `new_chat`: a client opened a chat.
    case newChat(NewChat)
    /// `new_message`: a message was written, by anyone, the runtime included.
    case newMessage(ChatMessage)
    /// `assign_curator`: a curator was assigned to a chat.
    case assignCurator(CuratorAssignment)
    /// `update_chat_status`: a chat's status changed.
    case updateChatStatus(ChatStatusChange)
    /// `read_chat_message`: a user read a chat up to a message.
    case readChatMessage(ReadReceipt)
    /// `delete_message`: a message was deleted.
    case deleteMessage(MessageDeletion)
    /// `update_message`: a message was edited; carries the edited message.
    case updateMessage(ChatMessage)
    /// An event type this version does not know, kept whole.
    case unknown(UnknownEvent)

    /// The event's type.
    public var type: EventType {
        switch self {
        case .userStatus: .userStatus
        case .newChat: .newChat
        case .newMessage: .newMessage
        case .assignCurator: .assignCurator
        case .updateChatStatus: .updateChatStatus
        case .readChatMessage: .readChatMessage
        case .deleteMessage: .deleteMessage
        case .updateMessage: .updateMessage
        case .unknown(let event): .unknown(event.type)
        }
    }

    /// The chat the event belongs to; `nil` for presence and for unknown events without
    /// a readable `chat_id`.
    ///
    /// The engine keeps the events of one chat in order by this key.
    public var chatID: ChatID? {
        switch self {
        case .userStatus: nil
        case .newChat(let chat): chat.chatID
        case .newMessage(let message), .updateMessage(let message): message.chatID
        case .assignCurator(let assignment): assignment.chatID
        case .updateChatStatus(let change): change.chatID
        case .readChatMessage(let receipt): receipt.chatID
        case .deleteMessage(let deletion): deletion.chatID
        case .unknown(let event): event.data["chat_id"]?.textValue.map { ChatID($0) }
        }
    }
}
