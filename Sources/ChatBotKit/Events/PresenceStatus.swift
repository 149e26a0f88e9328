/// A user's presence, from `user_status`.
public enum PresenceStatus: OpenValue {
    case online
    case offline
    case unknown(String)

    public init(wireValue: String) {
        switch wireValue {
        case "online": self = .online
        case "offline": self = .offline
        default: self = .unknown(wireValue)
        }
    }

    public var wireValue: String {
        switch self {
        case .online: "online"
        case .offline: "offline"
        case .unknown(let value): value
        }
    }
}
