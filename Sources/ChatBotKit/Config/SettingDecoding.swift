/// How ``Configurable()`` reads each property: as any `Decodable`, except that
/// - a string setting (alone, or in a list) also takes a whole number, written back as
///   its digits: YAML reads `service_account_id: 1000` or `curators: [7, 9]` as
///   numbers, and a person who wrote them meant the ids;
/// - a choice (an enum of strings) that is not one of its cases is refused with the
///   cases it has, not the decoder's own words.
extension KeyedDecodingContainer {
    /// Reads a setting that must be there.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSetting<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decode(type, forKey: key)
    }

    /// Reads a setting that may be absent.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSettingIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try decodeIfPresent(type, forKey: key)
    }

    /// Reads a choice: one of the enum's cases, by its raw value.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSetting<T: Decodable & RawRepresentable & CaseIterable>(_ type: T.Type, forKey key: Key) throws -> T
    where T.RawValue == String {
        try choice(T.self, decodeSetting(String.self, forKey: key), forKey: key)
    }

    /// Reads a choice that may be absent: one of the enum's cases, by its raw value.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSettingIfPresent<T: Decodable & RawRepresentable & CaseIterable>(_ type: T.Type, forKey key: Key) throws -> T?
    where T.RawValue == String {
        try decodeSettingIfPresent(String.self, forKey: key).map { try choice(T.self, $0, forKey: key) }
    }

    private func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ text: String, forKey key: Key) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            let cases = T.allCases.map { "\($0.rawValue)" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\"\(text)\" is not one of: \(cases)")
        }
        return value
    }

    /// Reads a string setting, or a whole number as its digits.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSetting(_ type: String.Type, forKey key: Key) throws -> String {
        try decode(SettingText.self, forKey: key).value
    }

    /// Reads a string setting that may be absent, or a whole number as its digits.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSettingIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try decodeIfPresent(SettingText.self, forKey: key)?.value
    }

    /// Reads a list of strings, each of which may be a whole number.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSetting(_ type: [String].Type, forKey key: Key) throws -> [String] {
        try decode([SettingText].self, forKey: key).map(\.value)
    }

    /// Reads a list of strings that may be absent, each of which may be a whole number.
    ///
    /// - Parameters:
    ///   - type: The setting's type.
    ///   - key: Its key.
    public func decodeSettingIfPresent(_ type: [String].Type, forKey key: Key) throws -> [String]? {
        try decodeIfPresent([SettingText].self, forKey: key)?.map(\.value)
    }
}

/// A string that may be written as a whole number in YAML (`service_account_id: 1000`).
struct SettingText: Decodable, Sendable, Hashable {
    /// The string, or the number's digits.
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            throw DecodingError.typeMismatch(
                String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a whole number"))
        }
    }
}
