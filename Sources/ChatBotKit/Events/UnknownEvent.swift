/// An event whose `event_type` this version does not know, kept whole.
///
/// Bots receive it as ``ChatEvent/unknown(_:)``, so a newer backend's events are seen,
/// logged and countable instead of dropped.
public struct UnknownEvent: Hashable, Sendable {
    /// The `event_type` as sent.
    public var type: String
    /// The frame's `data`, as JSON; `.null` when it had none.
    public var data: JSONValue

    public init(type: String, data: JSONValue) {
        self.type = type
        self.data = data
    }
}
