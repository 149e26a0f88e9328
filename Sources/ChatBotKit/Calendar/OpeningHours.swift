/// A day of the week.
public enum Weekday: String, Sendable, Hashable, CaseIterable, Codable, CodingKey {
    case monday = "mon"
    case tuesday = "tue"
    case wednesday = "wed"
    case thursday = "thu"
    case friday = "fri"
    case saturday = "sat"
    case sunday = "sun"

    /// From Foundation's numbering, where 1 is Sunday.
    init?(calendarWeekday: Int) {
        let order: [Weekday] = [.sunday, .monday, .tuesday, .wednesday, .thursday, .friday, .saturday]
        guard (1...7).contains(calendarWeekday) else { return nil }
        self = order[calendarWeekday - 1]
    }
}

/// A time of day, to the minute; `24:00` is the end of the day.
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Minutes since midnight, 0...1440.
    public let minutes: Int

    public init?(hour: Int, minute: Int) {
        guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
        minutes = hour * 60 + minute
    }

    /// `HH:MM`.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
            let hour = Int(parts[0]), let minute = Int(parts[1])
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    public var description: String {
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.minutes < rhs.minutes
    }
}

/// One opening interval of a day: `09:00-18:00`. An end not after the start runs past
/// midnight (`22:00-06:00`).
public struct OpeningHours: Sendable, Hashable, CustomStringConvertible {
    public let start: TimeOfDay
    public let end: TimeOfDay

    public init(start: TimeOfDay, end: TimeOfDay) {
        self.start = start
        self.end = end
    }

    public var description: String {
        "\(start)-\(end)"
    }

    /// `closed`, an empty text, or `HH:MM-HH:MM` intervals separated by commas.
    public static func parseList(_ text: String) throws(BusinessCalendarError) -> [OpeningHours] {
        let trimmed = text.trimmed
        if trimmed.isEmpty || trimmed.lowercased() == "closed" { return [] }
        var list: [OpeningHours] = []
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-")
            guard bounds.count == 2,
                let start = TimeOfDay(parsing: String(bounds[0]).trimmed),
                let end = TimeOfDay(parsing: String(bounds[1]).trimmed),
                start != end, start.minutes < 1_440
            else { throw .badHours(text) }
            list.append(OpeningHours(start: start, end: end))
        }
        return list
    }
}

/// A day the desk is closed whatever its weekly hours say.
public enum Holiday: Sendable, Hashable, CustomStringConvertible {
    /// One date.
    case date(year: Int, month: Int, day: Int)
    /// The same day every year.
    case yearly(month: Int, day: Int)

    /// `YYYY-MM-DD` or `MM-DD`.
    public init?(parsing text: String) {
        let parts = text.trimmed.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        switch parts.count {
        case 3:
            guard let year = parts[0], let month = parts[1], let day = parts[2], (1...9_999).contains(year),
                Self.isValid(month: month, day: day)
            else { return nil }
            self = .date(year: year, month: month, day: day)
        case 2:
            guard let month = parts[0], let day = parts[1], Self.isValid(month: month, day: day) else { return nil }
            self = .yearly(month: month, day: day)
        default:
            return nil
        }
    }

    private static func isValid(month: Int, day: Int) -> Bool {
        let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(month) && (1...days[month - 1]).contains(day)
    }

    public var description: String {
        func two(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
        switch self {
        case .date(let year, let month, let day): return "\(year)-\(two(month))-\(two(day))"
        case .yearly(let month, let day): return "\(two(month))-\(two(day))"
        }
    }
}

extension StringProtocol {
    /// Without spaces at either end.
    var trimmed: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
