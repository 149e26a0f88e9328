import Foundation

/// Everything the runtime knows about one user: role, presence, and for curators their
/// load.
public struct UserRecord: Hashable, Sendable, Codable {
    public var id: UserID
    public var role: UserRole?
    /// The last presence seen; `nil` until a `user_status`.
    public var presence: PresenceStatus?
    /// When the presence last changed.
    public var presenceSince: Date?
    /// Chats assigned to this curator that are not closed: their load.
    public var openChats: Set<ChatID>
    /// When a chat was last assigned to this curator.
    public var lastAssignedAt: Date?
    /// The topics a curator covers, from the curator directory; `nil` when unknown.
    public var topics: Set<String>?

    public init(id: UserID, role: UserRole? = nil) {
        self.id = id
        self.role = role
        self.openChats = []
    }

    public var isOnline: Bool {
        presence == .online
    }
}
