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
@Configurable
public struct DirectorySection: Sendable, Equatable, ValidatedConfiguration {
    public var curatorsPath: String?
    public var refreshSeconds: Double = 600
    public var chatDetailsPath: String?
    /// The open chats, a page at a time: the runtime adds `page=N`, and follows `next`
    /// where the answer gives it.
    public var openChatsPath: String?

    public func validate() throws {
        guard refreshSeconds >= 1, refreshSeconds <= 86_400 else {
            throw ConfigurationInvalid("refresh_seconds", "must be at least 1 and at most 86400")
        }
        for (key, path) in [("curators_path", curatorsPath), ("chat_details_path", chatDetailsPath), ("open_chats_path", openChatsPath)] {
            if let path, !path.hasPrefix("/") { throw ConfigurationInvalid(key, "a path starts with / (\"\(path)\")") }
        }
    }
}
