import Foundation

/// Decodes any `Decodable` type so that a key nobody asked for is an error: a misspelt
/// option in a config file fails loudly, naming its key path, instead of being ignored.
///
/// It wraps the decoder that reads the file and notes, for every mapping it opens, the
/// keys the type asks for (whether present or not). Once the value is decoded, a key in
/// a mapping that its type never asked for is unknown. So every settings type is strict
/// without a line of its own: synthesized `Decodable`, ``Configurable()`` types and
/// hand-written decoders alike.
///
/// ```swift
/// let settings = try StrictDecoding.decode(WelcomeBot.Settings.self, from: decoder)
/// ```
public enum StrictDecoding {
    /// Decodes `type` from `decoder`, then throws for the first key no mapping's type
    /// asked for, as `DecodingError.dataCorrupted` at that key's path, with the keys
    /// that mapping knows and the nearest of them.
    public static func decode<T: Decodable>(_ type: T.Type, from decoder: any Decoder) throws -> T {
        let notes = KeyNotes()
        let value: T
        do {
            value = try T(from: NotingDecoder(inner: decoder, notes: notes))
        } catch {
            // A key asked for and missing, beside an unknown one much like it, is most
            // likely that key misspelt: say so, rather than what its absence caused.
            try notes.throwLikelyMisspelling()
            throw error
        }
        try notes.throwFirstUnknownKey()
        return value
    }

    /// Decodes `type` from JSON, strictly.
    public static func decode<T: Decodable>(_ type: T.Type, fromJSON data: Data) throws -> T {
        try JSONDecoder().decode(Strictly<T>.self, from: data).value
    }
}

/// A value decoded by ``StrictDecoding``: for decoders that take a type, not a
/// `Decoder` (`JSONDecoder`, Yams' `YAMLDecoder`).
public struct Strictly<Value: Decodable>: Decodable {
    public let value: Value

    public init(from decoder: any Decoder) throws {
        value = try StrictDecoding.decode(Value.self, from: decoder)
    }
}

/// For each mapping opened while decoding, the keys it had and the keys asked for.
private final class KeyNotes {
    struct Mapping {
        var codingPath: [any CodingKey]
        var present: [String]
        var asked: Set<String> = []
    }

    /// By the mapping's key path, in the order they were opened.
    private var mappings: [String: Mapping] = [:]
    private var order: [String] = []

    func opened(at codingPath: [any CodingKey], present: [String]) {
        let path = Self.path(codingPath)
        if mappings[path] == nil {
            order.append(path)
            mappings[path] = Mapping(codingPath: codingPath, present: present)
        }
    }

    func asked(_ key: String, at codingPath: [any CodingKey]) {
        mappings[Self.path(codingPath)]?.asked.insert(key)
    }

    /// Throws for a key not asked for that is within a few letters of a key asked for
    /// and absent, in the first mapping that has one.
    func throwLikelyMisspelling() throws {
        for path in order {
            guard let mapping = mappings[path] else { continue }
            let absent = mapping.asked.subtracting(mapping.present).sorted()
            for key in mapping.present where !mapping.asked.contains(key) {
                guard let meant = absent.min(by: { Self.distance($0, key) < Self.distance($1, key) }),
                    Self.distance(meant, key) <= 3
                else { continue }
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: mapping.codingPath + [AnyCodingKey(key)],
                        debugDescription: "unknown key \"\(key)\" (did you mean \"\(meant)\"?)"
                    ))
            }
        }
    }

    /// Throws for the first unknown key, in the order the mappings were opened.
    func throwFirstUnknownKey() throws {
        for path in order {
            guard let mapping = mappings[path] else { continue }
            for key in mapping.present where !mapping.asked.contains(key) {
                let known = mapping.asked.sorted()
                let nearest = known.min { Self.distance($0, key) < Self.distance($1, key) }
                let hint = nearest.flatMap { Self.distance($0, key) <= 3 ? " (did you mean \"\($0)\"?)" : nil } ?? ""
                let list = known.isEmpty ? "it takes no keys" : "known keys: \(known.joined(separator: ", "))"
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: mapping.codingPath + [AnyCodingKey(stringValue: key)],
                        debugDescription: "unknown key \"\(key)\"\(hint); \(list)"
                    ))
            }
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    /// Edit distance, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
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

/// Values the wrapped decoder reads in its own way (a YAML timestamp, base64 data):
/// handed to it whole, not taken apart through the noting decoder.
private func readsWhole<T>(_ type: T.Type) -> Bool {
    type == Date.self || type == Data.self || type == URL.self || type == Decimal.self || type == UUID.self
}

private struct NotingDecoder: Decoder {
    let inner: any Decoder
    let notes: KeyNotes

    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { inner.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = try inner.container(keyedBy: type)
        let present = try inner.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        notes.opened(at: codingPath, present: present)
        return KeyedDecodingContainer(NotingKeyedContainer(inner: container, notes: notes))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        NotingUnkeyedContainer(inner: try inner.unkeyedContainer(), notes: notes)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        NotingSingleValueContainer(inner: try inner.singleValueContainer(), decoder: self)
    }
}

private struct NotingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let inner: KeyedDecodingContainer<Key>
    let notes: KeyNotes

    var codingPath: [any CodingKey] { inner.codingPath }
    var allKeys: [Key] { inner.allKeys }

    private func ask(_ key: Key) {
        notes.asked(key.stringValue, at: codingPath)
    }

    func contains(_ key: Key) -> Bool {
        ask(key)
        return inner.contains(key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        ask(key)
        return try inner.decodeNil(forKey: key)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        ask(key)
        return try inner.decode(type, forKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        ask(key)
        // A missing key, or a whole value: the wrapped decoder says it its own way.
        guard inner.contains(key), !readsWhole(type) else { return try inner.decode(type, forKey: key) }
        return try T(from: NotingDecoder(inner: try inner.superDecoder(forKey: key), notes: notes))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        ask(key)
        return try NotingDecoder(inner: try inner.superDecoder(forKey: key), notes: notes).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        ask(key)
        return NotingUnkeyedContainer(inner: try inner.nestedUnkeyedContainer(forKey: key), notes: notes)
    }

    func superDecoder() throws -> any Decoder {
        NotingDecoder(inner: try inner.superDecoder(), notes: notes)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ask(key)
        return NotingDecoder(inner: try inner.superDecoder(forKey: key), notes: notes)
    }
}

private struct NotingUnkeyedContainer: UnkeyedDecodingContainer {
    var inner: any UnkeyedDecodingContainer
    let notes: KeyNotes

    var codingPath: [any CodingKey] { inner.codingPath }
    var count: Int? { inner.count }
    var isAtEnd: Bool { inner.isAtEnd }
    var currentIndex: Int { inner.currentIndex }

    mutating func decodeNil() throws -> Bool { try inner.decodeNil() }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !readsWhole(type) else { return try inner.decode(type) }
        return try T(from: NotingDecoder(inner: try inner.superDecoder(), notes: notes))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try NotingDecoder(inner: try inner.superDecoder(), notes: notes).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        NotingUnkeyedContainer(inner: try inner.nestedUnkeyedContainer(), notes: notes)
    }

    mutating func superDecoder() throws -> any Decoder {
        NotingDecoder(inner: try inner.superDecoder(), notes: notes)
    }
}

private struct NotingSingleValueContainer: SingleValueDecodingContainer {
    let inner: any SingleValueDecodingContainer
    let decoder: NotingDecoder

    var codingPath: [any CodingKey] { inner.codingPath }

    func decodeNil() -> Bool { inner.decodeNil() }
    func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // The same value, read by a type of its own (a wrapper around a string, say).
        guard !readsWhole(type) else { return try inner.decode(type) }
        return try T(from: decoder)
    }
}
