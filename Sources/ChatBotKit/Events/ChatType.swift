/// The kind of a chat, from `new_chat`: about an order or about a topic.
public enum ChatType: OpenValue {
    case order
    case topic
    case unknown(String)

    public init(wireValue: String) {
        switch wireValue {
        case "order": self = .order
        case "topic": self = .topic
        default: self = .unknown(wireValue)
        }
    }

    public var wireValue: String {
        switch self {
        case .order: "order"
        case .topic: "topic"
        case .unknown(let value): value
        }
    }
}
