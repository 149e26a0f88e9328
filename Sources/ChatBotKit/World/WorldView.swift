/// What a bot sees of the world model during a handler: the records as of the event
/// being handled, every earlier event applied and no later one.
public struct WorldView: Sendable {
    private let model: WorldModel

    init(_ model: WorldModel) {
        self.model = model
    }

    /// Everything the runtime knows about a chat.
    public func chat(_ id: ChatID) -> ChatRecord? {
        model.chats[id]
    }

    /// Everything the runtime knows about a user.
    public func user(_ id: UserID) -> UserRecord? {
        model.users[id]
    }

    /// A user's role, if known.
    public func role(of id: UserID) -> UserRole? {
        model.role(of: id)
    }

    /// Known curators, online or not.
    public var curators: [UserRecord] {
        model.curators
    }

    /// Known curators' ids, online or not, in id order.
    public var curatorIDs: [UserID] {
        model.curatorIDs
    }

    /// Whether a chat's status closes it.
    public func isClosed(_ chat: ChatRecord) -> Bool {
        model.isClosed(chat)
    }

    /// The runtime's own account.
    public var serviceAccountID: UserID {
        model.serviceAccountID
    }

    /// Chats matching a condition (a scan: use sparingly on large worlds).
    public func chats(where condition: (ChatRecord) -> Bool) -> [ChatRecord] {
        model.chats.values.filter(condition)
    }
}
