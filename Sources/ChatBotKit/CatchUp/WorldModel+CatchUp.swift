import Foundation

/// An event a catch-up rebuilt from the open-chats listing: something the runtime
/// missed while it was not reading. Bots see it as recovered (``BotContext/isRecovered``).
struct RecoveredEvent: Sendable, Hashable {
    let event: ChatEvent
    /// What to learn of the chat before the event: set for a chat the world did not know.
    let details: ChatDetails?
}

/// What one catch-up found missing and handed to the bots.
public struct CatchUpReport: Sendable, Hashable, CustomStringConvertible {
    /// Chats the open-chats route listed.
    public var chatsListed = 0
    /// Chats offered to the bots as a recovered `new_chat`.
    public var chats = 0
    /// Chats the runtime did not know that came with a curator already: learned, not offered.
    public var chatsLearned = 0
    /// Messages recovered as `new_message`.
    public var messages = 0
    /// Curators assigned meanwhile, recovered as `assign_curator`.
    public var assignments = 0
    /// Read marks that moved meanwhile, recovered as `read_chat_message`.
    public var readMarks = 0
    /// Status changes meanwhile (a chat closed or reopened), recovered as `update_chat_status`.
    public var statuses = 0
    /// Curators whose presence changed meanwhile, by the directory, recovered as `user_status`.
    public var presences = 0
    /// How long the stream was down before it, if it followed a gap.
    public var downFor: TimeInterval?
    /// When it ran (the engine's clock).
    public var at: Date?

    public init() {}

    /// Everything recovered, in events.
    public var events: Int { chats + messages + assignments + readMarks + statuses + presences }

    public var description: String {
        var text = "recovered \(chats) chat\(chats == 1 ? "" : "s") and \(messages) message\(messages == 1 ? "" : "s")"
        let others = [
            (assignments, "assignment"), (readMarks, "read mark"), (statuses, "status change"), (presences, "presence change"),
            (chatsLearned, "chat learned with its curator"),
        ].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }
        if !others.isEmpty { text += " (\(others.joined(separator: ", ")))" }
        if let downFor {
            text += " after \(Int(downFor.rounded())) s down"
        } else {
            text += " at start"
        }
        return text
    }
}

extension WorldModel {
    /// What the runtime missed, by the listing: the events that bring the world (and the
    /// bots) level with the backend, chat by chat in the listing's order, each chat's in
    /// the order they happened as far as the listing tells. Nothing the world already
    /// holds is repeated:
    /// - a chat not known, listed without a curator, is a `new_chat`; listed with one, it
    ///   is learned from the listing (an `assign_curator` carrying its details);
    /// - a known chat whose `new_chat` never arrived (learned from a later event), still
    ///   without a curator, is a `new_chat` too;
    /// - a curator other than the one known is an `assign_curator`; a status other than
    ///   the one known, an `update_chat_status` (chats the list left out, by what the
    ///   chat-details route said of them); none of these for a chat with a live event
    ///   since the list was asked for (the world is newer there);
    /// - a listed message not among those kept is a `new_message`, unless it is older than
    ///   what the world trimmed (it may have been seen);
    /// - a reader whose latest read message is past their mark is a `read_chat_message`;
    /// - a known curator whose presence the directory gives otherwise than the world
    ///   holds is a `user_status`, unless a live change came since the list was asked
    ///   for. These come first, so that the chats after them are handed out by who is
    ///   there now.
    func recoveries(from listing: CatchUpListing) -> (events: [RecoveredEvent], report: CatchUpReport) {
        var events: [RecoveredEvent] = []
        var report = CatchUpReport()
        report.chatsListed = listing.openChats.count
        report.downFor = listing.downFor
        for entry in (listing.curators ?? []).sorted(by: { $0.curatorID < $1.curatorID }) {
            recoverPresence(entry, listedAt: listing.listedAt, into: &events, report: &report)
        }
        for listed in listing.openChats {
            recover(listed, listedAt: listing.listedAt, into: &events, report: &report)
        }
        for (chatID, details) in listing.checked.sorted(by: { $0.key < $1.key }) {
            guard let known = chats[chatID], !Self.changed(known, since: listing.listedAt) else { continue }
            recoverStatus(details.status, of: known, into: &events, report: &report)
            recoverCurator(details.curatorID, of: known, into: &events, report: &report)
        }
        return (events, report)
    }

    /// Whether a live event in the chat came after the listing was asked for.
    private static func changed(_ chat: ChatRecord, since listedAt: Date?) -> Bool {
        guard let listedAt, let last = chat.lastEventAt else { return false }
        return last > listedAt
    }

    private func recover(_ listed: OpenChat, listedAt: Date?, into events: inout [RecoveredEvent], report: inout CatchUpReport) {
        let chatID = listed.id
        let details = listed.details
        let known = chats[chatID]
        // A chat not known is learned from the listing with its first recovered event.
        var learning: ChatDetails? = known == nil ? details : nil
        func append(_ event: ChatEvent) {
            events.append(RecoveredEvent(event: event, details: learning))
            learning = nil
        }
        if let known {
            // Newer in the world than in the listing: its status and curator stay as the
            // world has them; what it missed in the gap (messages, read marks) is
            // recovered below.
            let stale = Self.changed(known, since: listedAt)
            if !stale { recoverStatus(details.status, of: known, into: &events, report: &report) }
            // Known only from later events (a message that came live before this turn),
            // never opened: its opening fell in the gap, and the bots still need it.
            if known.openedAt == nil, known.curatorID == nil, details.curatorID == nil, !(stale && closes(known.status)),
                let client = known.clientID ?? details.clientID, !closes(details.status)
            {
                append(.newChat(NewChat(clientID: client, chatID: chatID, chatType: known.type ?? details.type ?? .order)))
                report.chats += 1
            }
            if !stale { recoverCurator(details.curatorID, of: known, into: &events, report: &report) }
        } else if closes(details.status) {
            // Listed, yet closed (a route that ignores the status filter): not offered.
            return
        } else if let curator = details.curatorID {
            append(.assignCurator(CuratorAssignment(chatID: chatID, curatorID: curator)))
            report.chatsLearned += 1
        } else if let client = details.clientID {
            append(.newChat(NewChat(clientID: client, chatID: chatID, chatType: details.type ?? .order)))
            report.chats += 1
        }
        // (Without a client, the chat is learned with its first recovered message.)

        var recovered: Set<MessageID> = []
        for message in listed.messages where known.map({ hasMissed(message, in: $0) }) ?? true {
            guard recovered.insert(message.id).inserted else { continue }
            append(
                .newMessage(
                    ChatMessage(
                        id: message.id, senderID: message.senderID, chatID: chatID, text: message.text, messageType: message.type,
                        createdAt: message.createdAt
                    )))
            report.messages += 1
        }

        // Each reader's latest read message, where it moves their mark.
        var latestRead: [UserID: MessageID] = [:]
        for message in listed.messages {
            for reader in message.readBy { latestRead[reader] = message.id }
        }
        for (reader, messageID) in latestRead.sorted(by: { $0.key < $1.key }) {
            if !recovered.contains(messageID) {
                guard let kept = known?.message(messageID), kept.sequence > known?.readUpTo[reader] ?? 0 else { continue }
            }
            append(.readChatMessage(ReadReceipt(chatID: chatID, lastMessageID: messageID, readerID: reader)))
            report.readMarks += 1
        }
    }

    private func recoverStatus(_ status: ChatStatus?, of known: ChatRecord, into events: inout [RecoveredEvent], report: inout CatchUpReport) {
        guard let status, status != known.status, known.status != nil || closes(status) else { return }
        events.append(RecoveredEvent(event: .updateChatStatus(ChatStatusChange(chatID: known.id, status: status)), details: nil))
        report.statuses += 1
    }

    private func recoverPresence(_ entry: DirectoryEntry, listedAt: Date?, into events: inout [RecoveredEvent], report: inout CatchUpReport) {
        // Only users the world knows (from events, the roster or the directory's own
        // reading): the catch-up recovers what changed, it does not learn the directory.
        guard let online = entry.online, entry.curatorID != serviceAccountID, let known = users[entry.curatorID] else { return }
        let status: PresenceStatus = online ? .online : .offline
        // A live change of presence since the list was asked for is newer than the
        // directory. (One that repeated the presence already held moved no date: the
        // directory, read after the list, is trusted over it.)
        if let listedAt, let since = known.presenceSince, since > listedAt { return }
        guard known.presence != status else { return }
        events.append(RecoveredEvent(event: .userStatus(UserStatusChange(userID: entry.curatorID, status: status)), details: nil))
        report.presences += 1
    }

    private func recoverCurator(_ curator: UserID?, of known: ChatRecord, into events: inout [RecoveredEvent], report: inout CatchUpReport) {
        guard let curator, curator != known.curatorID else { return }
        events.append(RecoveredEvent(event: .assignCurator(CuratorAssignment(chatID: known.id, curatorID: curator)), details: nil))
        report.assignments += 1
    }

    private func closes(_ status: ChatStatus?) -> Bool {
        status.map(closedStatuses.contains) ?? false
    }

    /// Whether a listed message is one the runtime never saw: not among the kept ones,
    /// and, where the world trimmed (or a delete removed) older messages, newer than the
    /// oldest kept (by integer id, else by time; when neither tells, it counts as seen).
    private func hasMissed(_ message: OpenChat.Message, in chat: ChatRecord) -> Bool {
        guard chat.message(message.id) == nil else { return false }
        guard chat.messageCount > Int64(chat.messages.count) else { return true }
        guard let oldest = chat.messages.first else { return false }
        if let listed = message.id.integerValue, let kept = oldest.id.integerValue { return listed > kept }
        if let listed = message.createdAt, let kept = oldest.createdAt { return listed > kept }
        return false
    }
}
