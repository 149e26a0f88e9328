import Foundation

/// A chat still open, as the backend's open-chats route lists it: what catching up after
/// a gap compares with what the runtime knows (see ``CatchUpListing``).
public struct OpenChat: Codable, Hashable, Sendable {
    /// One of its latest messages, and who has read it.
    public struct Message: Codable, Hashable, Sendable {
        public var id: MessageID
        public var senderID: UserID
        public var type: MessageType
        /// Its text, where the route gives it.
        public var text: String?
        public var createdAt: Date?
        public var readBy: Set<UserID>

        public init(
            id: MessageID, senderID: UserID, type: MessageType = .text, text: String? = nil, createdAt: Date? = nil, readBy: Set<UserID> = []
        ) {
            self.id = id
            self.senderID = senderID
            self.type = type
            self.text = text
            self.createdAt = createdAt
            self.readBy = readBy
        }
    }

    public var id: ChatID
    /// Its client, type, status, topic and curator, where the answer gives them.
    public var details: ChatDetails
    /// The latest messages, oldest first.
    public var messages: [Message]

    public init(id: ChatID, details: ChatDetails, messages: [Message] = []) {
        self.id = id
        self.details = details
        self.messages = messages
    }
}

/// What a catch-up compares with what the runtime knows: the chats the open-chats route
/// listed, and what the chat-details route said of chats the runtime holds open that
/// the list left out (closed meanwhile, most likely).
public struct CatchUpListing: Codable, Hashable, Sendable {
    public var openChats: [OpenChat]
    /// Chats missing from the list, as the chat-details route describes them.
    public var checked: [ChatID: ChatDetails]
    /// How long the stream was down before this catch-up, if it follows a gap; for the log.
    public var downFor: TimeInterval?
    /// When the list was asked for, by the engine's clock. A chat with a live event
    /// since then is newer in the world than in the listing: its status and curator are
    /// left as the world has them.
    public var listedAt: Date?
    /// The curator directory, read with the list (when its route is set): whose
    /// presence changed while the runtime was not reading.
    public var curators: [DirectoryEntry]?

    public init(
        openChats: [OpenChat], checked: [ChatID: ChatDetails] = [:], downFor: TimeInterval? = nil, listedAt: Date? = nil,
        curators: [DirectoryEntry]? = nil
    ) {
        self.openChats = openChats
        self.checked = checked
        self.downFor = downFor
        self.listedAt = listedAt
        self.curators = curators
    }
}
