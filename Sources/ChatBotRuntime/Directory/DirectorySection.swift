import ChatBotKit

/// `directory:` the backend's optional routes for what events do not say: who is a
/// curator and which topics they cover, and a new chat's topic (PROTOCOL.md Part 3).
/// Both are off unless their path is given.
///
/// ```yaml
/// directory:
///   curators_path: /api/curators/              # GET [{"id": ..., "topics": [...]}]
///   refresh_seconds: 600
///   chat_details_path: /api/chats/{chat_id}/   # GET {"topic": ...}, asked once per new chat
///   open_chats_path: /api/chats/?status=open    # GET, paginated: the chats still open, for catching up
/// ```
public struct DirectorySection: Decodable, Sendable, Equatable {
    public var curatorsPath: String?
    public var refreshSeconds: Double
    public var chatDetailsPath: String?
    /// The open chats, a page at a time: the runtime adds `page=N`, and follows `next`
    /// where the answer gives it.
    public var openChatsPath: String?

    public init(curatorsPath: String? = nil, refreshSeconds: Double = 600, chatDetailsPath: String? = nil, openChatsPath: String? = nil) {
        self.curatorsPath = curatorsPath
        self.refreshSeconds = refreshSeconds
        self.chatDetailsPath = chatDetailsPath
        self.openChatsPath = openChatsPath
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case curatorsPath = "curators_path"
        case refreshSeconds = "refresh_seconds"
        case chatDetailsPath = "chat_details_path"
        case openChatsPath = "open_chats_path"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        curatorsPath = try container.decodeIfPresent(String.self, forKey: .curatorsPath)
        refreshSeconds = try container.decodeIfPresent(Double.self, forKey: .refreshSeconds) ?? 600
        chatDetailsPath = try container.decodeIfPresent(String.self, forKey: .chatDetailsPath)
        openChatsPath = try container.decodeIfPresent(String.self, forKey: .openChatsPath)
        guard refreshSeconds >= 1, refreshSeconds <= 86_400 else {
            throw DecodingError.dataCorruptedError(forKey: .refreshSeconds, in: container, debugDescription: "must be at least 1 and at most 86400")
        }
        for (key, path) in [(CodingKeys.curatorsPath, curatorsPath), (.chatDetailsPath, chatDetailsPath), (.openChatsPath, openChatsPath)] {
            if let path, !path.hasPrefix("/") {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "a path starts with / (\"\(path)\")")
            }
        }
    }
}
