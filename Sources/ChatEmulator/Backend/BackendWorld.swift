import ChatBotKit
import DequeModule
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
        /// The latest messages (up to ``messagesKept``), oldest first: what the open-chats
        /// route lists.
        var messages: [Message] = []
        /// Who read up to which message (its place in ``messages``' numbering).
        var readUpTo: [UserID: Int64] = [:]
        var messagesPosted: Int64 = 0

        var lastMessageID: MessageID? { messages.last?.id }
    }

    struct Message: Sendable {
        var id: MessageID
        var senderID: UserID
        var type: MessageType
        var createdAt: Date
        /// Its place among the chat's messages, from 1.
        var number: Int64
    }

    /// Messages kept per chat: the open-chats route lists the latest.
    static let messagesKept = 50

    struct Curator: Sendable {
        var id: UserID
        var topics: [String]
        var isOnline: Bool
    }

    private(set) var chats: [ChatID: Chat] = [:]
    private(set) var curators: [UserID: Curator] = [:]
    /// Chats not in a closed status, oldest first.
    private(set) var openChatIDs: [ChatID] = []
    /// Chats in the order they closed, for ``closedChatsKept``.
    private var closedOrder: Deque<ChatID> = []
    /// Closed chats kept at most; past it the oldest closed leave (`nil`: all stay).
    var closedChatsKept: Int?
    private var nextChatNumber: Int64 = 1
    private var nextMessageNumber: Int64 = 1

    /// Chats opened since the emulator started (closed ones that left included).
    var chatsOpenedInAll: Int { Int(nextChatNumber - 1) }

    /// Adds a curator to the directory.
    mutating func addCurator(_ id: UserID, topics: [String], isOnline: Bool) {
        curators[id] = Curator(id: id, topics: topics, isOnline: isOnline)
    }

    /// A client opens a chat.
    mutating func openChat(client: UserID, type: ChatType, topic: String?) -> ChatEvent {
        let id = ChatID(nextChatNumber)
        nextChatNumber += 1
        chats[id] = Chat(id: id, clientID: client, type: type, topic: topic, status: .open, curatorID: nil)
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
        let createdAt = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        keep(Message(id: id, senderID: sender, type: type, createdAt: createdAt, number: 0), in: chatID)
        return .newMessage(
            ChatMessage(
                id: id, senderID: sender, chatID: chatID, text: text, messageType: type, createdAt: createdAt, files: files
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
    mutating func read(_ chatID: ChatID, upTo message: MessageID, by reader: UserID) -> ChatEvent? {
        guard let chat = chats[chatID] else { return nil }
        if let number = chat.messages.last(where: { $0.id == message })?.number, number > chat.readUpTo[reader] ?? 0 {
            chats[chatID]?.readUpTo[reader] = number
        }
        return .readChatMessage(ReadReceipt(chatID: chatID, lastMessageID: message, readerID: reader))
    }

    /// A message is deleted. `nil` when the chat or message does not exist.
    mutating func delete(_ message: MessageID, in chatID: ChatID) -> ChatEvent? {
        guard let index = chats[chatID]?.messages.firstIndex(where: { $0.id == message }) else { return nil }
        chats[chatID]?.messages.remove(at: index)
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
                status: .open, curatorID: nil
            )
            openChatIDs.append(chat.chatID)
        case .newMessage(let message):
            keep(
                Message(id: message.id, senderID: message.senderID, type: message.messageType, createdAt: message.createdAt ?? Date(), number: 0),
                in: message.chatID
            )
        case .readChatMessage(let receipt):
            _ = read(receipt.chatID, upTo: receipt.lastMessageID, by: receipt.readerID)
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

    /// Numbers a message in its chat and keeps it, with the latest ``messagesKept``.
    private mutating func keep(_ message: Message, in chatID: ChatID) {
        guard var chat = chats[chatID] else { return }
        chat.messagesPosted += 1
        var numbered = message
        numbered.number = chat.messagesPosted
        chat.messages.append(numbered)
        if chat.messages.count > Self.messagesKept { chat.messages.removeFirst(chat.messages.count - Self.messagesKept) }
        chats[chatID] = chat
    }

    /// The open chats, oldest first, a page at a time (pages from 1), with how many
    /// there are in all.
    func openChats(page: Int, size: Int) -> (chats: [Chat], total: Int) {
        let start = (page - 1) * size
        guard page >= 1, size >= 1, start < openChatIDs.count else { return ([], openChatIDs.count) }
        return (openChatIDs[start..<min(start + size, openChatIDs.count)].compactMap { chats[$0] }, openChatIDs.count)
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
            if let kept = closedChatsKept {
                closedOrder.append(chatID)
                while closedOrder.count > kept, let oldest = closedOrder.popFirst() {
                    // One reopened since is open now, and stays.
                    if let chat = chats[oldest], Self.closedStatuses.contains(chat.status) { chats[oldest] = nil }
                }
            }
        } else if !wasOpen, isOpen {
            openChatIDs.append(chatID)
        }
    }
}
