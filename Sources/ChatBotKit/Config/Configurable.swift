/// Makes a settings struct readable from a config file, its defaults written once.
///
/// ```swift
/// @Configurable
/// public struct Settings: Sendable {
///     public var greeting: String                                 // required
///     public var nudgeAfter: ConfigDuration?                      // optional: `nudge_after`
///     public var nudge: String = "Are you still there?"           // a default
/// }
/// ```
///
/// Each stored property is read from its name in snake_case; one with an initial value
/// keeps it when its key is absent, an optional one is `nil`, any other is required.
/// The macro also writes the memberwise initializer, with the same defaults, at the
/// struct's own access level. A key the struct does not have is refused when the file
/// is read (``StrictDecoding``). For rules across properties, conform to
/// ``ValidatedConfiguration``; for a default that depends on another property, mark it
/// ``DefaultFrom(_:)``; for one the file never sets, ``NotConfigured()``. Each property needs its type written out. A string setting
/// also takes a whole number, as YAML reads `id: 42` (`decodeSetting(_:forKey:)`).
@attached(member, names: named(init))
@attached(extension, conformances: Decodable)
public macro Configurable() = #externalMacro(module: "ChatBotMacros", type: "ConfigurableMacro")

/// Marks a ``Configurable()`` property whose default depends on the properties declared
/// above it: the expression, as Swift, is used when its key is absent (and when the
/// memberwise initializer's argument is `nil`).
///
/// ```swift
/// @Configurable
/// public struct Policy: Sendable {
///     public var kind: Kind
///     @DefaultFrom("kind.rawValue") public var name: String    // `name:` absent: the kind
/// }
/// ```
///
/// - Parameter expression: Swift, over the properties declared above; a plain string
///   literal.
@attached(peer)
public macro DefaultFrom(_ expression: String) = #externalMacro(module: "ChatBotMacros", type: "SettingMarkMacro")

/// Marks a ``Configurable()`` property that the file never sets (something filled in
/// after reading, such as the lines each key was on): it keeps its initial value, and a
/// key of its name is unknown.
@attached(peer)
public macro NotConfigured() = #externalMacro(module: "ChatBotMacros", type: "SettingMarkMacro")

/// Settings with rules beyond their types, checked once they are read.
public protocol ValidatedConfiguration {
    /// Throws ``ConfigurationInvalid`` for a value the settings cannot run with.
    func validate() throws
}

/// A setting that is readable but cannot be used: its key, and why.
public struct ConfigurationInvalid: Error, CustomStringConvertible {
    /// The key (snake_case, as in the file) the problem is at; `nil` for the mapping.
    public let key: String?
    public let description: String

    public init(_ key: String?, _ description: String) {
        self.key = key
        self.description = description
    }
}

/// Runs a ``ValidatedConfiguration``'s rules, its problems put at their key path
/// (called by ``Configurable()``'s decoder).
public func validateConfiguration(_ settings: some Any, at codingPath: [any CodingKey]) throws {
    guard let validated = settings as? any ValidatedConfiguration else { return }
    do {
        try validated.validate()
    } catch let invalid as ConfigurationInvalid {
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: codingPath + (invalid.key.map { [AnyCodingKey($0)] } ?? []), debugDescription: invalid.description
            ))
    }
}
