/// The `event_type` of a frame: the eight of the backend's document, or any other.
///
/// New backend versions add event types; those arrive as ``unknown(_:)`` with the name
/// the backend used, so nothing is dropped silently.
public enum EventType: Hashable, Sendable {
    case userStatus
    case newChat
    case newMessage
    case assignCurator
    case updateChatStatus
    case readChatMessage
    case deleteMessage
    case updateMessage
    case unknown(String)

    /// Every event type the backend's document lists.
    public static let documented: [EventType] = [
        .userStatus, .newChat, .newMessage, .assignCurator,
        .updateChatStatus, .readChatMessage, .deleteMessage, .updateMessage,
    ]

    /// Reads the wire name, keeping names it does not know.
    public init(wireName: String) {
        switch wireName {
        case "user_status": self = .userStatus
        case "new_chat": self = .newChat
        case "new_message": self = .newMessage
        case "assign_curator": self = .assignCurator
        case "update_chat_status": self = .updateChatStatus
        case "read_chat_message": self = .readChatMessage
        case "delete_message": self = .deleteMessage
        case "update_message": self = .updateMessage
        default: self = .unknown(wireName)
        }
    }

    /// The name used in the frame's `event_type` field.
    public var wireName: String {
        switch self {
        case .userStatus: "user_status"
        case .newChat: "new_chat"
        case .newMessage: "new_message"
        case .assignCurator: "assign_curator"
        case .updateChatStatus: "update_chat_status"
        case .readChatMessage: "read_chat_message"
        case .deleteMessage: "delete_message"
        case .updateMessage: "update_message"
        case .unknown(let name): name
        }
    }
}

extension EventType: CustomStringConvertible {
    public var description: String { wireName }
}
