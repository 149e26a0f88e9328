import Foundation

/// Everything the runtime knows about one chat.
public struct ChatRecord: Hashable, Sendable, Codable {
    public var id: ChatID
    /// The client who opened it, once `new_chat` (or the directory) said so.
    public var clientID: UserID?
    public var type: ChatType?
    /// The chat's topic, from the chat-details route when one is configured.
    public var topic: String?
    /// The last status seen; `nil` until `update_chat_status`.
    public var status: ChatStatus?
    public var curatorID: UserID?
    /// When `new_chat` arrived.
    public var openedAt: Date?
    /// The latest messages, in the order seen, oldest first (up to the world's limit).
    public var messages: [MessageRecord]
    /// How many messages were seen in all; the next one's sequence is this plus one.
    public var messageCount: Int64
    /// Who read up to where: reader → the sequence of the last message they read.
    public var readUpTo: [UserID: Int64]
    public var lastClientMessageAt: Date?
    public var lastCuratorMessageAt: Date?
    /// When the last event about the chat arrived: how long a closed chat has been
    /// quiet, for retention.
    public var lastEventAt: Date?

    public init(id: ChatID) {
        self.id = id
        self.messages = []
        self.messageCount = 0
        self.readUpTo = [:]
    }

    /// The message with this id, if it is among those kept.
    public func message(_ id: MessageID) -> MessageRecord? {
        messages.last { $0.id == id }
    }

    /// The kept message at `sequence`, if it is kept (messages are in sequence order).
    public func message(at sequence: Int64) -> MessageRecord? {
        var low = 0
        var high = messages.count
        while low < high {
            let middle = (low + high) / 2
            if messages[middle].sequence < sequence { low = middle + 1 } else { high = middle }
        }
        return low < messages.count && messages[low].sequence == sequence ? messages[low] : nil
    }

    /// Whether `reader` has read `message`. Read marks are placed when a receipt
    /// arrives (see ``WorldModel``), so this compares positions in the order seen.
    public func hasRead(_ reader: UserID, _ message: MessageRecord) -> Bool {
        guard let mark = readUpTo[reader] else { return false }
        return mark >= message.sequence
    }

    /// Whether any of `readers` has read the message.
    public func hasBeenRead(_ message: MessageRecord, byAnyOf readers: some Sequence<UserID>) -> Bool {
        readers.contains { hasRead($0, message) }
    }
}
