import Foundation

/// A length of time in a config file: `90s`, `15m`, `2h`, `1h30m`, `1d`, or a plain
/// number of seconds.
///
/// ```swift
/// struct Settings: Decodable {
///     var grace: ConfigDuration    // grace: 2m
/// }
/// context.schedule("check", after: settings.grace.duration)
/// ```
public struct ConfigDuration: Hashable, Sendable, Comparable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The length, in whole seconds.
    public let seconds: Int64

    public init(seconds: Int64) {
        self.seconds = seconds
    }

    public init(integerLiteral value: Int64) {
        seconds = value
    }

    /// A default written the way a reader thinks of it: `.minutes(10)`.
    public static func seconds(_ count: Int64) -> ConfigDuration { ConfigDuration(seconds: count) }
    public static func minutes(_ count: Int64) -> ConfigDuration { ConfigDuration(seconds: count * 60) }
    public static func hours(_ count: Int64) -> ConfigDuration { ConfigDuration(seconds: count * 3_600) }

    /// The longest duration a config may give: ten years. Anything longer is a typo, and
    /// would overflow the clocks that wait for it.
    public static let maximum = ConfigDuration(seconds: 3_650 * 86_400)

    /// Parses `90s`, `15m`, `2h`, `1h30m`, `1d`, or a number of seconds; `nil` if the
    /// text is none of those, or longer than ``maximum``.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let plain = Int64(trimmed), plain >= 0 {
            guard plain <= Self.maximum.seconds else { return nil }
            seconds = plain
            return
        }
        var total: Int64 = 0
        var number: Int64?
        for character in trimmed {
            if let digit = character.wholeNumberValue, character.isASCII {
                let (shifted, overflowA) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (next, overflowB) = shifted.addingReportingOverflow(Int64(digit))
                guard !overflowA, !overflowB else { return nil }
                number = next
                continue
            }
            let unit: Int64
            switch character {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3_600
            case "d": unit = 86_400
            default: return nil
            }
            guard let value = number else { return nil }
            let (part, overflowA) = value.multipliedReportingOverflow(by: unit)
            let (sum, overflowB) = total.addingReportingOverflow(part)
            guard !overflowA, !overflowB else { return nil }
            total = sum
            number = nil
        }
        // A number with no unit after a unit ("1h30") is ambiguous: refuse it.
        guard number == nil, !trimmed.isEmpty, total <= Self.maximum.seconds else { return nil }
        seconds = total
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            guard number >= 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a duration cannot be negative (\(number))")
            }
            guard number <= Self.maximum.seconds else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(number) seconds is more than ten years")
            }
            seconds = number
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = ConfigDuration(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "\"\(text)\" is not a duration: write 90s, 15m, 2h, 1h30m, 1d or a number of seconds (ten years at most)"
            )
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// As a `Duration`.
    public var duration: Duration {
        .seconds(seconds)
    }

    /// As seconds for `Date` arithmetic.
    public var timeInterval: Double {
        Double(seconds)
    }

    /// The shortest form: `1h30m`, `45s`, `0s`.
    public var description: String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for (unit, name) in [(Int64(86_400), "d"), (3_600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            text += "\(rest / unit)\(name)"
            rest %= unit
        }
        return text
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.seconds < rhs.seconds
    }
}
