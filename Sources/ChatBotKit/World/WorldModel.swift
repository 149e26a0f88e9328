import Foundation

/// The runtime's picture of the backend, kept from events: chats, their messages and
/// reads, users with their roles, presence and load.
///
/// It is a value; ``apply(_:at:)`` is the one way events change it, and it says which
/// chats and users changed, so a store can persist just those.
public struct WorldModel: Sendable, Hashable {
    public private(set) var chats: [ChatID: ChatRecord]
    public private(set) var users: [UserID: UserRecord]
    /// Known curators' ids, in id order: kept as roles are learned, since a bot that
    /// weighs every curator on every decision would otherwise gather and sort them.
    public private(set) var curatorIDs: [UserID] = []
    /// The runtime's own account: its messages are its own, never a client's.
    public let serviceAccountID: UserID
    /// Statuses that close a chat (and take it off its curator's load).
    public let closedStatuses: Set<ChatStatus>
    /// How many of each chat's latest messages are kept.
    public let messageLimit: Int

    /// What one change touched.
    public struct Change: Hashable, Sendable {
        public var chats: Set<ChatID> = []
        public var users: Set<UserID> = []
        /// Messages recorded, among `chats`: a store that keeps messages apart from
        /// their chat writes just these, not the chat's whole history.
        public var messagesAdded: Set<MessageKey> = []
        /// Messages no longer kept: deleted, or past the world's limit.
        public var messagesRemoved: Set<MessageKey> = []

        public init(chats: Set<ChatID> = [], users: Set<UserID> = []) {
            self.chats = chats
            self.users = users
        }

        public var isEmpty: Bool { chats.isEmpty && users.isEmpty }

        public mutating func formUnion(_ other: Change) {
            chats.formUnion(other.chats)
            users.formUnion(other.users)
            messagesAdded.formUnion(other.messagesAdded)
            messagesRemoved.formUnion(other.messagesRemoved)
        }
    }

    public init(
        serviceAccountID: UserID,
        roster: [UserID] = [],
        closedStatuses: Set<ChatStatus> = [.closed, .resolved, .archived],
        messageLimit: Int = 100,
        chats: [ChatRecord] = [],
        users: [UserRecord] = []
    ) {
        self.serviceAccountID = serviceAccountID
        self.closedStatuses = closedStatuses
        self.messageLimit = max(1, messageLimit)
        // Built by hand, sized once: a store of 100,000 chats is loaded through here.
        self.chats = Dictionary(minimumCapacity: chats.count)
        for chat in chats { self.chats[chat.id] = chat }
        self.users = Dictionary(minimumCapacity: users.count + roster.count + 1)
        for user in users { self.users[user.id] = user }
        countOpenChats()
        self.users[serviceAccountID, default: UserRecord(id: serviceAccountID)].role = .serviceAccount
        for curator in roster where curator != serviceAccountID {
            self.users[curator, default: UserRecord(id: curator)].role = .curator
        }
        curatorIDs = self.users.values.lazy.filter { $0.role == .curator }.map(\.id).sorted()
    }

    /// The role of a user, if known.
    public func role(of user: UserID) -> UserRole? {
        users[user]?.role
    }

    /// Whether a chat's status closes it.
    public func isClosed(_ chat: ChatRecord) -> Bool {
        chat.status.map(closedStatuses.contains) ?? false
    }

    /// Known curators.
    public var curators: [UserRecord] {
        curatorIDs.compactMap { users[$0] }
    }

    /// Applies one event, received at `date`.
    @discardableResult
    public mutating func apply(_ event: ChatEvent, at date: Date) -> Change {
        var change = Change()
        switch event {
        case .userStatus(let status):
            var user = users[status.userID] ?? UserRecord(id: status.userID)
            if user.presence != status.status {
                user.presence = status.status
                user.presenceSince = date
            }
            users[status.userID] = user
            change.users.insert(status.userID)
        case .newChat(let opened):
            var chat = chats[opened.chatID] ?? ChatRecord(id: opened.chatID)
            chat.clientID = opened.clientID
            chat.type = opened.chatType
            chat.openedAt = chat.openedAt ?? date
            chats[opened.chatID] = chat
            learn(opened.clientID, is: .client, into: &change)
            change.chats.insert(opened.chatID)
        case .newMessage(let message):
            record(message, at: date, into: &change)
        case .updateMessage(let message):
            // An edit keeps the message's place; an unseen one is recorded as new.
            if chats[message.chatID]?.message(message.id) == nil {
                record(message, at: date, into: &change)
            }
        case .assignCurator(let assignment):
            assign(assignment.curatorID, to: assignment.chatID, at: date, into: &change)
        case .updateChatStatus(let update):
            setStatus(update.status, of: update.chatID, into: &change)
        case .readChatMessage(let receipt):
            markRead(receipt, into: &change)
        case .deleteMessage(let deletion):
            for message in chats[deletion.chatID]?.messages ?? [] where message.id == deletion.messageID {
                change.messagesRemoved.insert(MessageKey(chatID: deletion.chatID, sequence: message.sequence))
            }
            chats[deletion.chatID]?.messages.removeAll { $0.id == deletion.messageID }
            change.chats.insert(deletion.chatID)
        case .unknown:
            break
        }
        if let chatID = event.chatID, chats[chatID] != nil {
            chats[chatID]?.lastEventAt = date
            change.chats.insert(chatID)
        }
        return change
    }

    /// Forgets closed chats quiet since before `date` (their last event, or their
    /// opening): at most `limit`, in id order (the same in a replay). Returns them.
    /// An event in a forgotten chat later starts it afresh.
    public mutating func forgetClosedChats(quietBefore date: Date, limit: Int) -> [ChatID] {
        let closed = closedStatuses
        let quiet = chats.values.filter { chat in
            (chat.status.map(closed.contains) ?? false) && (chat.lastEventAt ?? chat.openedAt ?? .distantPast) < date
        }.map(\.id)
        let forgotten = Array(quiet.sorted().prefix(limit))
        for chat in forgotten {
            // A closed chat counts toward no curator's load; its id may still be listed.
            if let curator = chats[chat]?.curatorID { users[curator]?.openChats.remove(chat) }
            chats.removeValue(forKey: chat)
        }
        return forgotten
    }

    /// What a change touched, as a store writes it: the chats and users as they are
    /// now, the recorded messages still kept, and the messages no longer kept.
    public func commit(for change: Change) -> Commit {
        var commit = Commit()
        commit.chats = change.chats.compactMap { chats[$0] }
        commit.users = change.users.compactMap { users[$0] }
        commit.messages = change.messagesAdded.sorted().compactMap { key in
            chats[key.chatID]?.message(at: key.sequence).map { StoredMessage(chatID: key.chatID, message: $0) }
        }
        commit.messagesRemoved = change.messagesRemoved.sorted()
        return commit
    }

    /// Learns a role from the curator directory or another outside source.
    public mutating func learnRole(_ role: UserRole, of user: UserID) {
        var ignored = Change()
        learn(user, is: role, into: &ignored)
    }

    /// Learns the curators the backend's directory lists, with the topics each covers.
    @discardableResult
    public mutating func learnDirectory(_ entries: [DirectoryEntry]) -> Change {
        var change = Change()
        for entry in entries where entry.curatorID != serviceAccountID {
            learn(entry.curatorID, is: .curator, into: &change)
            if users[entry.curatorID]?.topics != entry.topics {
                users[entry.curatorID]?.topics = entry.topics
                change.users.insert(entry.curatorID)
            }
            // Events are fresher than a directory read: it fills only what none said.
            if let online = entry.online, users[entry.curatorID]?.presence == nil {
                users[entry.curatorID]?.presence = online ? .online : .offline
                change.users.insert(entry.curatorID)
            }
        }
        return change
    }

    /// Marks users as curators (a roster grown by a reload). A role once learned stays:
    /// nothing here says a user stopped being a curator.
    @discardableResult
    public mutating func learnCurators(_ curators: [UserID]) -> Change {
        var change = Change()
        for curator in curators where curator != serviceAccountID {
            learn(curator, is: .curator, into: &change)
        }
        return change
    }

    /// Takes what the chat-details route says of a chat the world does not know (one it
    /// forgot, or one opened while the runtime was away): its client, type, status,
    /// topic and curator, where the answer gives them.
    @discardableResult
    public mutating func learn(_ details: ChatDetails, of chatID: ChatID) -> Change {
        var change = Change(chats: [chatID])
        var chat = chats[chatID] ?? ChatRecord(id: chatID)
        chat.clientID = chat.clientID ?? details.clientID
        chat.type = chat.type ?? details.type
        chat.topic = chat.topic ?? details.topic
        chats[chatID] = chat
        if let client = details.clientID { learn(client, is: .client, into: &change) }
        if let status = details.status, chat.status == nil { setStatus(status, of: chatID, into: &change) }
        if let curator = details.curatorID, chats[chatID]?.curatorID == nil {
            chats[chatID]?.curatorID = curator
            learn(curator, is: .curator, into: &change)
            if let known = chats[chatID], !isClosed(known) { users[curator]?.openChats.insert(chatID) }
            change.users.insert(curator)
        }
        return change
    }

    /// Sets a chat's topic, from the chat-details route.
    @discardableResult
    public mutating func setTopic(_ topic: String?, of chatID: ChatID) -> Change {
        guard let topic, chats[chatID]?.topic != topic else { return Change() }
        chats[chatID, default: ChatRecord(id: chatID)].topic = topic
        return Change(chats: [chatID])
    }

    /// Each curator's open chats follow from the chats (their curator, their status):
    /// derived once here, so a store need not keep them, and a change of the closing
    /// statuses between runs counts every chat by the new ones.
    private mutating func countOpenChats() {
        for index in users.values.indices where !users.values[index].openChats.isEmpty {
            users.values[index].openChats = []
        }
        for chat in chats.values {
            guard let curator = chat.curatorID, !isClosed(chat) else { continue }
            users[curator]?.openChats.insert(chat.id)
        }
    }

    // MARK: - The parts of apply

    private mutating func learn(_ user: UserID, is role: UserRole, into change: inout Change) {
        guard user != serviceAccountID, users[user]?.role != role else { return }
        users[user, default: UserRecord(id: user)].role = role
        let place = curatorPlace(of: user)
        let listed = place < curatorIDs.count && curatorIDs[place] == user
        if role == .curator, !listed {
            curatorIDs.insert(user, at: place)
        } else if role != .curator, listed {
            curatorIDs.remove(at: place)
        }
        change.users.insert(user)
    }

    /// Where `id` is, or would go, in ``curatorIDs``.
    private func curatorPlace(of id: UserID) -> Int {
        var low = 0
        var high = curatorIDs.count
        while low < high {
            let middle = (low + high) / 2
            if curatorIDs[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func record(_ message: ChatMessage, at date: Date, into change: inout Change) {
        var chat = chats[message.chatID] ?? ChatRecord(id: message.chatID)
        let role: UserRole? =
            message.senderID == serviceAccountID
            ? .serviceAccount
            : message.senderID == chat.clientID
                ? .client
                : users[message.senderID]?.role
        chat.messageCount += 1
        chat.messages.append(
            MessageRecord(
                id: message.id, senderID: message.senderID, senderRole: role, messageType: message.messageType,
                sequence: chat.messageCount, createdAt: message.createdAt, receivedAt: date
            ))
        change.messagesAdded.insert(MessageKey(chatID: message.chatID, sequence: chat.messageCount))
        if chat.messages.count > messageLimit {
            let dropped = chat.messages.count - messageLimit
            for old in chat.messages.prefix(dropped) {
                change.messagesRemoved.insert(MessageKey(chatID: message.chatID, sequence: old.sequence))
            }
            chat.messages.removeFirst(dropped)
        }
        switch role {
        case .client: chat.lastClientMessageAt = date
        case .curator: chat.lastCuratorMessageAt = date
        case .serviceAccount, nil: break
        }
        // Writing in a chat means having read it up to there.
        chat.readUpTo[message.senderID] = chat.messageCount
        chats[message.chatID] = chat
        change.chats.insert(message.chatID)
    }

    private mutating func assign(_ curator: UserID, to chatID: ChatID, at date: Date, into change: inout Change) {
        var chat = chats[chatID] ?? ChatRecord(id: chatID)
        if let previous = chat.curatorID, previous != curator {
            users[previous]?.openChats.remove(chatID)
            change.users.insert(previous)
        }
        chat.curatorID = curator
        chats[chatID] = chat
        learn(curator, is: .curator, into: &change)
        var user = users[curator] ?? UserRecord(id: curator, role: .curator)
        if !isClosed(chat) {
            user.openChats.insert(chatID)
        }
        user.lastAssignedAt = date
        users[curator] = user
        change.chats.insert(chatID)
        change.users.insert(curator)
    }

    private mutating func setStatus(_ status: ChatStatus, of chatID: ChatID, into change: inout Change) {
        var chat = chats[chatID] ?? ChatRecord(id: chatID)
        chat.status = status
        chats[chatID] = chat
        change.chats.insert(chatID)
        if let curator = chat.curatorID {
            if isClosed(chat) {
                users[curator]?.openChats.remove(chatID)
            } else {
                users[curator]?.openChats.insert(chatID)
            }
            change.users.insert(curator)
        }
    }

    /// Places a read mark: at the message's position in the order seen; for a message
    /// no longer kept (or never seen), at the last kept message whose numeric id is not
    /// after it, when ids are numbers.
    private mutating func markRead(_ receipt: ReadReceipt, into change: inout Change) {
        guard var chat = chats[receipt.chatID] else { return }
        let mark: Int64?
        if let seen = chat.message(receipt.lastMessageID) {
            mark = seen.sequence
        } else if let last = receipt.lastMessageID.integerValue {
            mark = chat.messages.last { ($0.id.integerValue ?? .max) <= last }?.sequence
        } else {
            mark = nil
        }
        guard let mark, mark > chat.readUpTo[receipt.readerID] ?? 0 else { return }
        chat.readUpTo[receipt.readerID] = mark
        chats[receipt.chatID] = chat
        change.chats.insert(receipt.chatID)
    }
}
