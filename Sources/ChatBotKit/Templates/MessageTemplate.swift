/// A reply text from a config file with a few named placeholders: `{next_open}`.
///
/// Deliberately not a template engine: no conditions, loops, filters or lookups, so
/// configured text can never run logic. A placeholder is a name from a fixed list in
/// braces; `{{` and `}}` write a literal brace. The text is checked once, when the
/// config is read, so a typo in a placeholder is an error at start, not a broken
/// message at 3 a.m.
///
/// ```swift
/// let template = try MessageTemplate("We are back {next_open}.", placeholders: ["next_open"])
/// template.render(["next_open": "Monday 09:00"])   // "We are back Monday 09:00."
/// ```
public struct MessageTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case text(String)
        case placeholder(String)
    }

    /// The text as written.
    public let source: String
    let segments: [Segment]

    /// Parses `source`, allowing only the `placeholders` named.
    public init(_ source: String, placeholders allowed: Set<String>) throws(MessageTemplateError) {
        try self.init(source, allowing: allowed)
    }

    /// Parses `source` with any placeholder name, for settings that check the names
    /// once they are all read (``allowing(_:)``).
    init(_ source: String, allowing allowed: Set<String>?) throws(MessageTemplateError) {
        self.source = source
        var segments: [Segment] = []
        var literal = ""
        var index = source.startIndex
        while index < source.endIndex {
            let character = source[index]
            let next = source.index(after: index)
            switch character {
            case "{" where next < source.endIndex && source[next] == "{", "}" where next < source.endIndex && source[next] == "}":
                literal.append(character)
                index = source.index(after: next)
            case "{":
                guard let close = source[next...].firstIndex(of: "}") else {
                    throw .unclosedBrace(offset: source.distance(from: source.startIndex, to: index))
                }
                let name = String(source[next..<close])
                if let allowed, !allowed.contains(name) { throw .unknownPlaceholder(name, allowed: allowed.sorted()) }
                if !literal.isEmpty { segments.append(.text(literal)) }
                literal = ""
                segments.append(.placeholder(name))
                index = source.index(after: close)
            case "}":
                throw .strayBrace(offset: source.distance(from: source.startIndex, to: index))
            default:
                literal.append(character)
                index = next
            }
        }
        if !literal.isEmpty { segments.append(.text(literal)) }
        self.segments = segments
    }

    /// The placeholders the text uses, in order of first use.
    public var placeholders: [String] {
        var seen: Set<String> = []
        return segments.compactMap { segment in
            guard case .placeholder(let name) = segment, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// The text with each placeholder replaced by its value (an empty text if `values`
    /// has none for it). Values are inserted as they are, never parsed again.
    public func render(_ values: [String: String]) -> String {
        var output = ""
        for segment in segments {
            switch segment {
            case .text(let text): output += text
            case .placeholder(let name): output += values[name] ?? ""
            }
        }
        return output
    }

    public var description: String { source }

    /// Throws if the text uses a placeholder not among `allowed`.
    ///
    /// - Parameter allowed: The placeholders the text may use.
    public func allowing(_ allowed: Set<String>) throws(MessageTemplateError) {
        if let unknown = placeholders.first(where: { !allowed.contains($0) }) { throw .unknownPlaceholder(unknown, allowed: allowed.sorted()) }
    }
}

/// A template read from a config file: any placeholder name is read; the settings that
/// hold it say which they allow (``MessageTemplate/allowing(_:)``, in their
/// ``ValidatedConfiguration/validate()``).
extension MessageTemplate: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            try self.init(try container.decode(String.self), allowing: nil)
        } catch let error as MessageTemplateError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }
}

/// Why a configured text is not a valid ``MessageTemplate``.
public enum MessageTemplateError: Error, Hashable, CustomStringConvertible {
    case unknownPlaceholder(String, allowed: [String])
    case unclosedBrace(offset: Int)
    case strayBrace(offset: Int)

    public var description: String {
        switch self {
        case .unknownPlaceholder(let name, let allowed):
            "unknown placeholder {\(name)}; this text may use \(allowed.map { "{\($0)}" }.joined(separator: ", ")) (write {{ or }} for a brace)"
        case .unclosedBrace(let offset):
            "a { at character \(offset + 1) is never closed (write {{ for a literal brace)"
        case .strayBrace(let offset):
            "a } at character \(offset + 1) closes nothing (write }} for a literal brace)"
        }
    }
}
