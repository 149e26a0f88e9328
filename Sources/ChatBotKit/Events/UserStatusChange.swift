/// `user_status`: a user came online or went offline. Sent to all curators.
public struct UserStatusChange: Hashable, Sendable, Codable {
    /// Who changed presence.
    public var userID: UserID
    /// Their new presence.
    public var status: PresenceStatus

    public init(userID: UserID, status: PresenceStatus) {
        self.userID = userID
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case status
    }
}
