/// A coding key for any string: used to list every key a mapping actually has.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public let intValue: Int?

    public init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    public init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// Throws if the mapping being decoded has a key outside `allowed`: a misspelt
    /// option in a config file must fail loudly, not be ignored.
    ///
    /// Call it first in a config type's `init(from:)`:
    ///
    /// ```swift
    /// init(from decoder: any Decoder) throws {
    ///     try decoder.rejectUnknownKeys(allowed: CodingKeys.allCases.map(\.stringValue))
    ///     ...
    /// }
    /// ```
    public func rejectUnknownKeys(allowed: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let known = Set(allowed)
        for key in container.allKeys where !known.contains(key.stringValue) {
            let suggestion = allowed.min { Self.distance($0, key.stringValue) < Self.distance($1, key.stringValue) }
            let hint = suggestion.map { Self.distance($0, key.stringValue) <= 3 ? " (did you mean \"\($0)\"?)" : "" } ?? ""
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown key \"\(key.stringValue)\"\(hint); known keys: \(allowed.sorted().joined(separator: ", "))"
            ))
        }
    }

    /// Edit distance, for "did you mean".
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1]
            for (j, right) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
