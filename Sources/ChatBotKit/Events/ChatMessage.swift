import Foundation

/// A chat message, from `new_message` or, edited, from `update_message`.
public struct ChatMessage: Hashable, Sendable {
    /// The message's id. Not guaranteed to be numeric.
    public var id: MessageID
    /// Who wrote it: a client, a curator, or the runtime's own service account.
    public var senderID: UserID
    public var chatID: ChatID
    /// The text; `nil` for most file and emoji messages.
    public var text: String?
    public var messageType: MessageType
    /// When the backend created the message; `nil` if it did not say or said it unreadably.
    public var createdAt: Date?
    /// Attached files, in the order sent. Empty when there are none.
    public var files: [MessageFile]

    public init(
        id: MessageID,
        senderID: UserID,
        chatID: ChatID,
        text: String?,
        messageType: MessageType = .text,
        createdAt: Date?,
        files: [MessageFile] = []
    ) {
        self.id = id
        self.senderID = senderID
        self.chatID = chatID
        self.text = text
        self.messageType = messageType
        self.createdAt = createdAt
        self.files = files
    }

    enum CodingKeys: String, CodingKey {
        case id
        case senderID = "sender"
        case chatID = "chat_id"
        case text
        case messageType = "message_type"
        case createdAt = "created_at"
        case files
    }
}

extension ChatMessage: Codable {
    /// Reads every variant of PROTOCOL.md Part 2: ids as strings or integers, `text`
    /// null or absent, `files` as an object, an array, `null` or absent, and
    /// `created_at` naive, with `Z` or an offset, with or without fractions.
    ///
    /// A missing `message_type` reads as `text`; a `created_at` that is not a timestamp
    /// fails the frame, naming the field, rather than being guessed at.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(MessageID.self, forKey: .id)
        self.senderID = try container.decode(UserID.self, forKey: .senderID)
        self.chatID = try container.decode(ChatID.self, forKey: .chatID)
        self.text = try container.decodeIfPresent(String.self, forKey: .text)
        self.messageType = try container.decodeIfPresent(MessageType.self, forKey: .messageType) ?? .text
        if let wire = try container.decodeIfPresent(String.self, forKey: .createdAt) {
            guard let date = WireTimestamp.parse(wire, naiveTimeZone: decoder.naiveTimeZone) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .createdAt, in: container,
                    debugDescription: "not a timestamp: \"\(wire.prefix(40))\""
                )
            }
            self.createdAt = date
        } else {
            self.createdAt = nil
        }
        self.files = try Self.decodeFiles(from: container)
    }

    private static func decodeFiles(from container: KeyedDecodingContainer<CodingKeys>) throws -> [MessageFile] {
        guard container.contains(.files), try !container.decodeNil(forKey: .files) else { return [] }
        if let list = try? container.decode([MessageFile].self, forKey: .files) {
            return list
        }
        return [try container.decode(MessageFile.self, forKey: .files)]
    }

    /// Writes the documented shape, or the variant that the encoder's ``WireStyle`` asks for.
    public func encode(to encoder: any Encoder) throws {
        let style = encoder.wireStyle
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(senderID, forKey: .senderID)
        try container.encode(chatID, forKey: .chatID)
        if let text {
            try container.encode(text, forKey: .text)
        } else if !style.omitsNullFields {
            try container.encodeNil(forKey: .text)
        }
        try container.encode(messageType, forKey: .messageType)
        if let createdAt {
            try container.encode(WireTimestamp.format(createdAt, style: style.timestamps), forKey: .createdAt)
        } else if !style.omitsNullFields {
            try container.encodeNil(forKey: .createdAt)
        }
        try encodeFiles(into: &container, style: style)
    }

    private func encodeFiles(into container: inout KeyedEncodingContainer<CodingKeys>, style: WireStyle) throws {
        switch (style.files, files.count) {
        case (.array, _):
            try container.encode(files, forKey: .files)
        case (.documented, 0):
            if !style.omitsNullFields { try container.encodeNil(forKey: .files) }
        case (.documented, 1):
            try container.encode(files[0], forKey: .files)
        case (.documented, _):
            try container.encode(files, forKey: .files)
        }
    }
}
