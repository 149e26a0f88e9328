import Foundation

/// When a support desk is open: weekly hours in an IANA time zone, holidays, and an
/// override that keeps it always open or always closed.
///
/// Hours are local times in the calendar's zone, so 09:00 stays 09:00 across a
/// daylight-saving change. An interval whose end is not after its start runs past
/// midnight (`22:00-06:00`); it belongs to the day it starts, and a holiday closes the
/// intervals that start on it. Touching intervals (`Mon 22:00-24:00`, `Tue 00:00-06:00`)
/// form one open period.
///
/// ```swift
/// let calendar = try BusinessCalendar(
///     timeZone: "Europe/Berlin",
///     week: [.monday: "09:00-18:00", .friday: "09:00-16:00"],
///     holidays: ["12-25", "2026-12-31"]
/// )
/// if !calendar.isOpen(at: now), let next = calendar.openPeriod(atOrAfter: now) {
///     print("back at \(next.start)")
/// }
/// ```
public struct BusinessCalendar: Sendable, Hashable {
    /// Whether the hours apply, or an override.
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        case hours
        case alwaysOpen = "always_open"
        case alwaysClosed = "always_closed"
    }

    public let timeZone: TimeZone
    public let mode: Mode
    /// Opening hours by weekday.
    public let week: [Weekday: [OpeningHours]]
    public let holidays: Set<Holiday>

    /// How far ahead the calendar looks for an opening before it says there is none.
    static let horizonDays = 400

    public init(timeZone: TimeZone, mode: Mode = .hours, week: [Weekday: [OpeningHours]], holidays: Set<Holiday> = []) {
        self.timeZone = timeZone
        self.mode = mode
        self.week = week
        self.holidays = holidays
    }

    /// A calendar from config-style text: a zone name, `HH:MM-HH:MM[, ...]` per weekday,
    /// holidays as `YYYY-MM-DD` or `MM-DD`.
    public init(
        timeZone identifier: String, mode: Mode = .hours, week: [Weekday: String], holidays: [String] = []
    ) throws(BusinessCalendarError) {
        guard let zone = TimeZone(identifier: identifier) else { throw .unknownTimeZone(identifier) }
        var parsedWeek: [Weekday: [OpeningHours]] = [:]
        for (day, text) in week {
            parsedWeek[day] = try OpeningHours.parseList(text)
        }
        var parsedHolidays: Set<Holiday> = []
        for text in holidays {
            guard let holiday = Holiday(parsing: text) else { throw .badHoliday(text) }
            parsedHolidays.insert(holiday)
        }
        self.init(timeZone: zone, mode: mode, week: parsedWeek, holidays: parsedHolidays)
    }

    /// Open every day, all day, in UTC.
    public static let alwaysOpen = BusinessCalendar(timeZone: .gmt, mode: .alwaysOpen, week: [:])

    // MARK: - Questions

    /// Whether the desk is open at `date`.
    public func isOpen(at date: Date) -> Bool {
        guard let period = openPeriod(atOrAfter: date) else { return false }
        return period.start <= date
    }

    /// The open period that contains `date`, or else the next one; `nil` if the desk
    /// does not open within about a year (or is always closed).
    public func openPeriod(atOrAfter date: Date) -> DateInterval? {
        switch mode {
        case .alwaysOpen: return DateInterval(start: date, end: .distantFuture)
        case .alwaysClosed: return nil
        case .hours: break
        }
        var found: DateInterval?
        forEachOpenPeriod(from: date) { period in
            found = period
            return false
        }
        return found
    }

    /// Open time between two dates: what an SLA clock counting business hours only
    /// counts. Zero when `end` is not after `start`.
    public func businessTime(from start: Date, to end: Date) -> TimeInterval {
        guard end > start else { return 0 }
        switch mode {
        case .alwaysOpen: return end.timeIntervalSince(start)
        case .alwaysClosed: return 0
        case .hours: break
        }
        var total: TimeInterval = 0
        forEachOpenPeriod(from: start) { period in
            guard period.start < end else { return false }
            total += min(period.end, end).timeIntervalSince(max(period.start, start))
            return true
        }
        return total
    }

    /// The moment when `amount` of open time has passed since `start`: an SLA deadline
    /// in business hours. `nil` if the desk never opens long enough.
    public func date(addingBusinessTime amount: TimeInterval, to start: Date) -> Date? {
        switch mode {
        case .alwaysOpen: return start.addingTimeInterval(amount)
        case .alwaysClosed: return nil
        case .hours: break
        }
        var remaining = max(0, amount)
        var deadline: Date?
        forEachOpenPeriod(from: start) { period in
            let from = max(period.start, start)
            let available = period.end.timeIntervalSince(from)
            if remaining <= available {
                deadline = from.addingTimeInterval(remaining)
                return false
            }
            remaining -= available
            return true
        }
        return deadline
    }

    // MARK: - Open periods

    /// Calls `body` with each open period that ends after `date`, in order, with
    /// touching intervals merged, until it returns `false` or the horizon is reached.
    func forEachOpenPeriod(from date: Date, _ body: (DateInterval) -> Bool) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Start a day early: an interval of yesterday may run past midnight into `date`.
        guard let first = calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: date)) else { return }
        var pending: DateInterval?
        for offset in 0...Self.horizonDays {
            guard let day = calendar.date(byAdding: .day, value: offset, to: first) else { return }
            for interval in intervals(startingOn: day, in: calendar) {
                if let current = pending, interval.start <= current.end {
                    pending = DateInterval(start: current.start, end: max(current.end, interval.end))
                    continue
                }
                if let finished = pending, finished.end > date, !body(finished) { return }
                pending = interval
            }
        }
        if let finished = pending, finished.end > date {
            _ = body(finished)
        }
    }

    /// The opening intervals that start on the local day beginning at `day`, in order.
    private func intervals(startingOn day: Date, in calendar: Calendar) -> [DateInterval] {
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
        guard let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekdayNumber = parts.weekday,
            let weekday = Weekday(calendarWeekday: weekdayNumber)
        else { return [] }
        if holidays.contains(.date(year: year, month: month, day: dayOfMonth)) || holidays.contains(.yearly(month: month, day: dayOfMonth)) {
            return []
        }
        return (week[weekday] ?? []).sorted { $0.start < $1.start }.compactMap { hours in
            let endDay = hours.end > hours.start ? 0 : 1
            guard let start = Self.localDate(day, plusDays: 0, minutes: hours.start.minutes, in: calendar),
                let end = Self.localDate(day, plusDays: endDay, minutes: hours.end.minutes, in: calendar),
                end > start
            else { return nil }
            return DateInterval(start: start, end: end)
        }
    }

    /// A local wall-clock time on a day: Foundation moves a time that a daylight-saving
    /// jump skips forward by the jump, and picks the first of a time that repeats.
    private static func localDate(_ day: Date, plusDays days: Int, minutes: Int, in calendar: Calendar) -> Date? {
        guard let base = calendar.date(byAdding: .day, value: days + minutes / 1_440, to: day) else { return nil }
        let rest = minutes % 1_440
        var parts = calendar.dateComponents([.year, .month, .day], from: base)
        parts.hour = rest / 60
        parts.minute = rest % 60
        return calendar.date(from: parts)
    }
}

/// Why a business calendar could not be built from its text.
public enum BusinessCalendarError: Error, Equatable, CustomStringConvertible {
    case unknownTimeZone(String)
    case badHours(String)
    case badHoliday(String)

    public var description: String {
        switch self {
        case .unknownTimeZone(let name):
            "\"\(name)\" is not an IANA time zone (write e.g. Europe/Berlin or America/New_York)"
        case .badHours(let text):
            "\"\(text)\" is not a list of opening hours (write e.g. \"09:00-18:00\" or \"09:00-13:00, 14:00-18:00\" or \"closed\")"
        case .badHoliday(let text):
            "\"\(text)\" is not a holiday (write YYYY-MM-DD for one date or MM-DD for every year)"
        }
    }
}
