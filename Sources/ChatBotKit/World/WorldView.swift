/// What a bot sees of the world model during a handler: the current records, read
/// under the engine's lock.
///
/// Records of the event's own chat are exactly as of this event (its chat's events are
/// handled in order). Records shared between chats (a curator's load) may already
/// include events of other chats handled at the same time.
public struct WorldView: Sendable {
    private let world: SharedWorld

    init(_ world: SharedWorld) {
        self.world = world
    }

    /// Everything the runtime knows about a chat.
    public func chat(_ id: ChatID) -> ChatRecord? {
        world.read { $0.chats[id] }
    }

    /// Everything the runtime knows about a user.
    public func user(_ id: UserID) -> UserRecord? {
        world.read { $0.users[id] }
    }

    /// A user's role, if known.
    public func role(of id: UserID) -> UserRole? {
        world.read { $0.role(of: id) }
    }

    /// Known curators, online or not.
    public var curators: [UserRecord] {
        world.read(\.curators)
    }

    /// Known curators' ids, online or not, in id order.
    public var curatorIDs: [UserID] {
        world.read(\.curatorIDs)
    }

    /// Whether a chat's status closes it.
    public func isClosed(_ chat: ChatRecord) -> Bool {
        world.read { $0.isClosed(chat) }
    }

    /// The runtime's own account.
    public var serviceAccountID: UserID {
        world.read(\.serviceAccountID)
    }

    /// Chats matching a condition (a scan: use sparingly on large worlds).
    public func chats(where condition: (ChatRecord) -> Bool) -> [ChatRecord] {
        world.read { $0.chats.values.filter(condition) }
    }
}
