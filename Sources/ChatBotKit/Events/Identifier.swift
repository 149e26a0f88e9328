/// An opaque identifier of a chat, a user, a message or a file.
///
/// The backend sends ids as JSON strings or JSON integers, and does not promise that
/// they are numeric. An `Identifier` keeps the id as its decimal or textual form, so
/// `42` and `"42"` are the same id:
///
/// ```swift
/// let a: ChatID = 42
/// let b: ChatID = "42"
/// assert(a == b)
/// ```
///
/// The `Tag` parameter only keeps different kinds of id apart at compile time: a
/// ``ChatID`` cannot be passed where a ``UserID`` is expected.
public struct Identifier<Tag>: Hashable, Sendable, Comparable {
    /// The id as text, exactly as the backend spelled it (integers in decimal).
    public let rawValue: String

    /// Creates an id from its text form.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Creates an id from its integer form.
    public init(_ value: Int64) {
        self.rawValue = String(value)
    }

    /// The id as an integer, when its text is a plain decimal integer.
    ///
    /// Used to fall back to numeric order between message ids, and to write ids as
    /// JSON integers when the wire style asks for it.
    public var integerValue: Int64? {
        // Only the form `String(Int64)` writes: an optional minus, digits, no leading
        // zero, no "-0". Checked on the bytes, since ids are compared (and so this is
        // asked) on every sort; printing the number back to compare cost an allocation.
        var digits = rawValue.utf8[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard let first = digits.first, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        if first == UInt8(ascii: "0"), negative || digits.count > 1 { return nil }
        return Int64(rawValue)  // nil past Int64's range
    }

    /// Integer ids first, by value; then the others, by their text.
    ///
    /// A total order, as sorting and searching need: comparing numerically only when
    /// both ids are integers ("2" < "10") and by text otherwise ("10" < "1a" < "2")
    /// would go round in a circle.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs.integerValue, rhs.integerValue) {
        case (let left?, let right?): left < right
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): lhs.rawValue < rhs.rawValue
        }
    }
}

extension Identifier: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self.init(value)
    }
}

extension Identifier: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self.init(value)
    }
}

extension Identifier: CustomStringConvertible {
    public var description: String { rawValue }
}

extension Identifier: Codable {
    /// Accepts a JSON string or a JSON integer.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.init(text)
        } else if let number = try? container.decode(Int64.self) {
            self.init(number)
        } else {
            throw DecodingError.typeMismatch(
                String.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected an id (a string or an integer)")
            )
        }
    }

    /// Writes a string, or an integer when the wire style asks for numeric ids and the
    /// id is a plain decimal integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if encoder.wireStyle.numericIDs, let number = integerValue {
            try container.encode(number)
        } else {
            try container.encode(rawValue)
        }
    }
}

/// Tag of ``ChatID``.
public enum ChatTag {}
/// Tag of ``UserID``.
public enum UserTag {}
/// Tag of ``MessageID``.
public enum MessageTag {}
/// Tag of ``FileID``.
public enum FileTag {}

/// The id of a chat.
public typealias ChatID = Identifier<ChatTag>
/// The id of a user: a client, a curator or a service account.
public typealias UserID = Identifier<UserTag>
/// The id of a message within the backend.
public typealias MessageID = Identifier<MessageTag>
/// The id of a file attached to a message.
public typealias FileID = Identifier<FileTag>
