/// One curator in the backend's curator directory (PROTOCOL.md Part 3, `GET /api/curators/`).
public struct DirectoryEntry: Hashable, Sendable, Codable {
    public var curatorID: UserID
    /// The topics they cover; `nil` when the directory does not say.
    public var topics: Set<String>?
    /// Whether they are online, when the directory says (the protocol does not promise
    /// it). Used only for a curator whose presence no event has told yet.
    public var online: Bool?

    public init(curatorID: UserID, topics: Set<String>?, online: Bool? = nil) {
        self.curatorID = curatorID
        self.topics = topics
        self.online = online
    }
}
