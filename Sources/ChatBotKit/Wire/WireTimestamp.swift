import Foundation

/// Reads and writes `created_at` in every form PROTOCOL.md Part 2 allows.
///
/// Accepted: `2021-01-01T00:00:00` (no zone: read in the backend's zone), `...Z`,
/// `...+03:00` / `...+0300`, each with optional fractional seconds (up to nanoseconds).
/// A space may stand for the `T`. Foundation's `.iso8601` refuses the naive form, and
/// this runs for every message, so it is a small hand parser over the UTF-8 bytes.
public enum WireTimestamp {
    /// How a timestamp is written.
    public struct Style: Hashable, Sendable {
        /// The zone suffix written.
        public enum Zone: Hashable, Sendable {
            /// No suffix, in UTC: the backend document's form.
            case naive
            /// `Z`.
            case zulu
            /// `+HH:MM`, the time shown in that offset from UTC, in seconds (whole minutes).
            case offset(seconds: Int)
        }

        public var zone: Zone
        /// Always write six fraction digits; otherwise only when the time has a fraction.
        public var alwaysFractional: Bool

        public init(zone: Zone, alwaysFractional: Bool = false) {
            self.zone = zone
            self.alwaysFractional = alwaysFractional
        }

        /// `2021-01-01T00:00:00`, as in the backend's document.
        public static let naive = Style(zone: .naive)
    }

    /// Parses a timestamp; `nil` when `text` is not one of the accepted forms.
    ///
    /// - Parameters:
    ///   - text: The wire text.
    ///   - naiveTimeZone: The zone a timestamp without a suffix is read in.
    public static func parse(_ text: String, naiveTimeZone: TimeZone = .gmt) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0, naiveTimeZone: naiveTimeZone) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, naiveTimeZone: TimeZone) -> Date? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(digits: 4), reader.skip("-"),
            let month = reader.number(digits: 2), reader.skip("-"),
            let day = reader.number(digits: 2), reader.skip("T") || reader.skip(" "),
            let hour = reader.number(digits: 2), reader.skip(":"),
            let minute = reader.number(digits: 2), reader.skip(":"),
            let second = reader.number(digits: 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        let fraction = reader.fraction()
        guard let fraction else { return nil }
        let civil = Double(daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second)
        let offset: Int
        if reader.isAtEnd {
            offset = naiveOffset(civilSeconds: civil, zone: naiveTimeZone)
        } else if reader.skip("Z") || reader.skip("z") {
            offset = 0
        } else if let sign = reader.sign(), let hours = reader.number(digits: 2) {
            _ = reader.skip(":")
            guard let minutes = reader.number(digits: 2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        } else {
            return nil
        }
        guard reader.isAtEnd else { return nil }
        return Date(timeIntervalSince1970: civil - Double(offset) + fraction)
    }

    /// Writes `date` in `style`.
    public static func format(_ date: Date, style: Style = .naive) -> String {
        let offset: Int
        switch style.zone {
        case .naive, .zulu: offset = 0
        case .offset(let seconds): offset = seconds - seconds % 60
        }
        let shifted = date.timeIntervalSince1970 + Double(offset)
        var whole = shifted.rounded(.down)
        var micros = Int(((shifted - whole) * 1_000_000).rounded())
        if micros == 1_000_000 {
            whole += 1
            micros = 0
        }
        let seconds = Int(whole)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(secondOfDay / 3_600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if micros != 0 || style.alwaysFractional {
            text += "." + pad(micros, 6)
        }
        switch style.zone {
        case .naive: break
        case .zulu: text += "Z"
        case .offset:
            let magnitude = abs(offset)
            text += (offset < 0 ? "-" : "+") + pad(magnitude / 3_600, 2) + ":" + pad(magnitude / 60 % 60, 2)
        }
        return text
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, after Howard Hinnant's algorithms)

    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The UTC offset of a wall-clock time in `zone`, so a naive timestamp is read as
    /// local time there (correct across daylight-saving changes).
    private static func naiveOffset(civilSeconds: Double, zone: TimeZone) -> Int {
        if zone == .gmt { return 0 }
        let guess = zone.secondsFromGMT(for: Date(timeIntervalSince1970: civilSeconds))
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: civilSeconds - Double(guess)))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Reads fixed-width digits and punctuation from the front of a byte buffer.
private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var isAtEnd: Bool { index == bytes.count }

    mutating func number(digits: Int) -> Int? {
        guard index + digits <= bytes.count else { return nil }
        var value = 0
        for _ in 0..<digits {
            let digit = Int(bytes[index]) - 48
            guard (0...9).contains(digit) else { return nil }
            value = value * 10 + digit
            index += 1
        }
        return value
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func sign() -> Int? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }

    /// Optional `.ddd…` (1 to 9 digits) as a fraction of a second; `nil` for a dot with no digits.
    mutating func fraction() -> Double? {
        guard skip(".") || skip(",") else { return 0 }
        var value = 0
        var scale = 1
        while index < bytes.count, (48...57).contains(bytes[index]) {
            if scale < 1_000_000_000 {
                value = value * 10 + Int(bytes[index]) - 48
                scale *= 10
            }
            index += 1
        }
        return scale == 1 ? nil : Double(value) / Double(scale)
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
