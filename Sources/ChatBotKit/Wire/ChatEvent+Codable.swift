extension ChatEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case eventType = "event_type"
        case data
    }

    /// Decodes a whole frame, `{"event_type": ..., "data": {...}}`.
    ///
    /// Throws ``FrameDecodingFailure`` naming the event type and the field at fault;
    /// ``FrameDecoder`` turns that into a value instead of ending a stream.
    public init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<CodingKeys>
        do {
            container = try decoder.container(keyedBy: CodingKeys.self)
        } catch DecodingError.typeMismatch {
            throw FrameDecodingFailure(.notAnObject, reason: "the frame is not a JSON object")
        }
        guard container.contains(.eventType) else {
            throw FrameDecodingFailure(.missingEventType, reason: "the frame has no \"event_type\"")
        }
        guard let wireName = try? container.decode(String.self, forKey: .eventType) else {
            throw FrameDecodingFailure(.eventTypeNotString, reason: "\"event_type\" is not a string")
        }
        let type = EventType(wireName: wireName)
        do {
            self = try Self.decodeData(of: type, from: container)
        } catch let error as DecodingError {
            throw FrameDecodingFailure(.invalidData, reason: error.fieldDescription, eventType: wireName)
        }
    }

    private static func decodeData(of type: EventType, from container: KeyedDecodingContainer<CodingKeys>) throws -> ChatEvent {
        switch type {
        case .userStatus: .userStatus(try container.decode(UserStatusChange.self, forKey: .data))
        case .newChat: .newChat(try container.decode(NewChat.self, forKey: .data))
        case .newMessage: .newMessage(try container.decode(ChatMessage.self, forKey: .data))
        case .assignCurator: .assignCurator(try container.decode(CuratorAssignment.self, forKey: .data))
        case .updateChatStatus: .updateChatStatus(try container.decode(ChatStatusChange.self, forKey: .data))
        case .readChatMessage: .readChatMessage(try container.decode(ReadReceipt.self, forKey: .data))
        case .deleteMessage: .deleteMessage(try container.decode(MessageDeletion.self, forKey: .data))
        case .updateMessage: .updateMessage(try container.decode(ChatMessage.self, forKey: .data))
        case .unknown(let name):
            .unknown(UnknownEvent(type: name, data: try container.decodeIfPresent(JSONValue.self, forKey: .data) ?? .null))
        }
    }

    /// Encodes the frame in the documented shape, varied by the encoder's ``WireStyle``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type.wireName, forKey: .eventType)
        switch self {
        case .userStatus(let payload): try container.encode(payload, forKey: .data)
        case .newChat(let payload): try container.encode(payload, forKey: .data)
        case .newMessage(let payload), .updateMessage(let payload): try container.encode(payload, forKey: .data)
        case .assignCurator(let payload): try container.encode(payload, forKey: .data)
        case .updateChatStatus(let payload): try container.encode(payload, forKey: .data)
        case .readChatMessage(let payload): try container.encode(payload, forKey: .data)
        case .deleteMessage(let payload): try container.encode(payload, forKey: .data)
        case .unknown(let event): try container.encode(event.data, forKey: .data)
        }
    }
}

extension DecodingError {
    /// Which field was wrong and how, as one line: `data.chat_id: expected an id (a
    /// string or an integer)`.
    var fieldDescription: String {
        switch self {
        case .keyNotFound(let key, let context):
            return "\(Self.path(context.codingPath + [key])): missing"
        case .valueNotFound(_, let context):
            return "\(Self.path(context.codingPath)): null where a value is required"
        case .typeMismatch(let type, let context):
            let expected = context.debugDescription.hasPrefix("expected") ? context.debugDescription : "expected \(Self.name(of: type))"
            return "\(Self.path(context.codingPath)): \(expected)"
        case .dataCorrupted(let context):
            return "\(Self.path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "frame" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type, is Int.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [String: JSONValue].Type: "an object"
        default: "\(type)"
        }
    }
}
