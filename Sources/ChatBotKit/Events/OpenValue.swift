/// A value from a set the backend may extend: known cases plus `unknown(String)`.
///
/// Conforming enums get `Codable` that writes the wire string and reads any string,
/// keeping values they do not know instead of failing the frame.
public protocol OpenValue: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Creates the value for a wire string; unknown strings are kept.
    init(wireValue: String)
    /// The string sent on the wire.
    var wireValue: String { get }
}

extension OpenValue {
    public init(from decoder: any Decoder) throws {
        self.init(wireValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireValue)
    }

    public var description: String { wireValue }
}
