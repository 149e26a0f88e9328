import ChatBotKit
import Foundation

/// The emulated backend's state: chats, their messages, curators and their presence.
///
/// Every change goes through a method here that returns the events the backend would
/// push for it, so the action routes, the traffic generator and played scenarios keep
/// one consistent world.
struct BackendWorld: Sendable {
    struct Chat: Sendable {
        var id: ChatID
        var clientID: UserID
        var type: ChatType
        var topic: String?
        var status: ChatStatus
        var curatorID: UserID?
        var messageIDs: [MessageID]
    }

    struct Curator: Sendable {
        var id: UserID
        var topics: [String]
        var isOnline: Bool
    }

    private(set) var chats: [ChatID: Chat] = [:]
    private(set) var curators: [UserID: Curator] = [:]
    /// Chats not in a closed status, oldest first.
    private(set) var openChatIDs: [ChatID] = []
    private var nextChatNumber: Int64 = 1
    private var nextMessageNumber: Int64 = 1

    /// Adds a curator to the directory.
    mutating func addCurator(_ id: UserID, topics: [String], isOnline: Bool) {
        curators[id] = Curator(id: id, topics: topics, isOnline: isOnline)
    }

    /// A client opens a chat.
    mutating func openChat(client: UserID, type: ChatType, topic: String?) -> ChatEvent {
        let id = ChatID(nextChatNumber)
        nextChatNumber += 1
        chats[id] = Chat(id: id, clientID: client, type: type, topic: topic, status: .open, curatorID: nil, messageIDs: [])
        openChatIDs.append(id)
        return .newChat(NewChat(clientID: client, chatID: id, chatType: type))
    }

    /// Someone writes in a chat. `nil` when the chat does not exist.
    mutating func postMessage(
        in chatID: ChatID, from sender: UserID, text: String?, type: MessageType = .text,
        files: [MessageFile] = [], at date: Date = Date()
    ) -> ChatEvent? {
        guard chats[chatID] != nil else { return nil }
        let id = MessageID(nextMessageNumber)
        nextMessageNumber += 1
        chats[chatID]?.messageIDs.append(id)
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return .newMessage(ChatMessage(
            id: id, senderID: sender, chatID: chatID, text: text, messageType: type,
            createdAt: Date(timeIntervalSince1970: seconds), files: files
        ))
    }

    /// A curator is assigned to a chat. `nil` when the chat does not exist.
    mutating func assign(_ curator: UserID, to chatID: ChatID) -> ChatEvent? {
        guard chats[chatID] != nil else { return nil }
        chats[chatID]?.curatorID = curator
        return .assignCurator(CuratorAssignment(chatID: chatID, curatorID: curator))
    }

    /// A chat's status changes. `nil` when the chat does not exist.
    mutating func setStatus(_ status: ChatStatus, of chatID: ChatID) -> ChatEvent? {
        guard chats[chatID] != nil else { return nil }
        updateStatus(of: chatID, to: status)
        return .updateChatStatus(ChatStatusChange(chatID: chatID, status: status))
    }

    /// Someone reads a chat up to a message. `nil` when the chat does not exist.
    func read(_ chatID: ChatID, upTo message: MessageID, by reader: UserID) -> ChatEvent? {
        guard chats[chatID] != nil else { return nil }
        return .readChatMessage(ReadReceipt(chatID: chatID, lastMessageID: message, readerID: reader))
    }

    /// A message is deleted. `nil` when the chat or message does not exist.
    mutating func delete(_ message: MessageID, in chatID: ChatID) -> ChatEvent? {
        guard let index = chats[chatID]?.messageIDs.firstIndex(of: message) else { return nil }
        chats[chatID]?.messageIDs.remove(at: index)
        return .deleteMessage(MessageDeletion(chatID: chatID, messageID: message))
    }

    /// A curator's presence changes. `nil` when nothing changes.
    mutating func setPresence(of user: UserID, online: Bool) -> ChatEvent? {
        guard curators[user]?.isOnline != online else { return nil }
        curators[user]?.isOnline = online
        return .userStatus(UserStatusChange(userID: user, status: online ? .online : .offline))
    }

    /// Takes in an event that came from elsewhere (a scenario file), so that later
    /// actions on its chats find them.
    mutating func observe(_ event: ChatEvent) {
        switch event {
        case .newChat(let chat) where chats[chat.chatID] == nil:
            chats[chat.chatID] = Chat(
                id: chat.chatID, clientID: chat.clientID, type: chat.chatType, topic: nil,
                status: .open, curatorID: nil, messageIDs: []
            )
            openChatIDs.append(chat.chatID)
        case .newMessage(let message):
            chats[message.chatID]?.messageIDs.append(message.id)
        case .assignCurator(let assignment):
            chats[assignment.chatID]?.curatorID = assignment.curatorID
        case .updateChatStatus(let change):
            updateStatus(of: change.chatID, to: change.status)
        case .userStatus(let change):
            curators[change.userID]?.isOnline = change.status == .online
        default:
            break
        }
    }

    /// The statuses that close a chat.
    static let closedStatuses: Set<ChatStatus> = [.closed, .resolved, .archived]

    private mutating func updateStatus(of chatID: ChatID, to status: ChatStatus) {
        guard let previous = chats[chatID]?.status else { return }
        chats[chatID]?.status = status
        let wasOpen = !Self.closedStatuses.contains(previous)
        let isOpen = !Self.closedStatuses.contains(status)
        if wasOpen, !isOpen {
            openChatIDs.removeAll { $0 == chatID }
        } else if !wasOpen, isOpen {
            openChatIDs.append(chatID)
        }
    }
}
