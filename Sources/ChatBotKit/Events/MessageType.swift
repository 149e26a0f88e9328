/// The kind of a message: text, file or emoji, or a kind a newer backend added.
public enum MessageType: OpenValue {
    case text
    case file
    case emoji
    case unknown(String)

    public init(wireValue: String) {
        switch wireValue {
        case "text": self = .text
        case "file": self = .file
        case "emoji": self = .emoji
        default: self = .unknown(wireValue)
        }
    }

    public var wireValue: String {
        switch self {
        case .text: "text"
        case .file: "file"
        case .emoji: "emoji"
        case .unknown(let value): value
        }
    }
}
