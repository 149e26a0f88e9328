/// A chat's status, from `update_chat_status`.
///
/// The backend's document lists no status values at all, so every value is kept as the
/// string it arrived as (an enum here would hold nothing but its `unknown` case). Which
/// statuses mean "closed" is configuration; the usual ones have constants.
public struct ChatStatus: OpenValue, ExpressibleByStringLiteral {
    /// The status exactly as the backend sent it.
    public let wireValue: String

    public init(wireValue: String) {
        self.wireValue = wireValue
    }

    public init(stringLiteral value: String) {
        self.wireValue = value
    }

    public static let open: ChatStatus = "open"
    public static let closed: ChatStatus = "closed"
    public static let resolved: ChatStatus = "resolved"
    public static let archived: ChatStatus = "archived"
}
