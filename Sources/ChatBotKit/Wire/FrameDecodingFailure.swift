/// Why one frame could not be read as an event: a value, not the end of a stream.
///
/// It says what was wrong, the event type when the frame got that far, and the first
/// bytes of the frame, so one log line is enough to find the frame again.
public struct FrameDecodingFailure: Error, Hashable, Sendable {
    /// The kind of problem, for metrics and tests.
    public enum Kind: String, Hashable, Sendable {
        /// The frame is not valid JSON (or not UTF-8).
        case notJSON
        /// Valid JSON, but not an object (an array, a string, ...).
        case notAnObject
        /// An object without `event_type`.
        case missingEventType
        /// `event_type` is present but not a string.
        case eventTypeNotString
        /// A known event whose `data` is missing, of the wrong type, or lacks a field.
        case invalidData
        /// A binary frame: the backend sends JSON text frames only.
        case binaryFrame
        /// Larger than the decoder's limit.
        case tooLarge
    }

    /// The kind of problem.
    public let kind: Kind
    /// What was wrong, for a person: `data.chat_id: missing`.
    public let reason: String
    /// The frame's `event_type`, when it had a readable one.
    public let eventType: String?
    /// The first bytes of the frame (up to ``prefixLength``), for the log.
    public internal(set) var framePrefix: String

    /// How many bytes of the frame ``framePrefix`` keeps.
    public static let prefixLength = 120

    init(_ kind: Kind, reason: String, eventType: String? = nil, framePrefix: String = "") {
        self.kind = kind
        self.reason = reason
        self.eventType = eventType
        self.framePrefix = framePrefix
    }
}

extension FrameDecodingFailure: CustomStringConvertible {
    public var description: String {
        let type = eventType.map { " (event_type \"\($0)\")" } ?? ""
        return "undecodable frame\(type): \(reason); frame starts: \(framePrefix)"
    }
}
