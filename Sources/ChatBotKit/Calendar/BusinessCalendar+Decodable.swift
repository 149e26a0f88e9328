import Foundation

/// A business calendar in a config file:
///
/// ```yaml
/// time_zone: Europe/Berlin        # IANA name
/// mode: hours                     # hours | always_open | always_closed
/// week:                           # days left out are closed
///   mon: "09:00-18:00"
///   sat: "10:00-13:00, 14:00-16:00"
///   sun: closed
/// holidays: ["2026-12-31", "12-25"]   # one date, or the same day every year
/// ```
extension BusinessCalendar: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case timeZone = "time_zone"
        case mode, week, holidays
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let zoneName = try container.decode(String.self, forKey: .timeZone)
        guard let zone = TimeZone(identifier: zoneName) else {
            throw DecodingError.dataCorruptedError(
                forKey: .timeZone, in: container, debugDescription: BusinessCalendarError.unknownTimeZone(zoneName).description
            )
        }
        let mode = try container.decodeIfPresent(Mode.self, forKey: .mode) ?? .hours
        var week: [Weekday: [OpeningHours]] = [:]
        if container.contains(.week) {
            let days = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .week)
            for key in days.allKeys {
                guard let day = Weekday(rawValue: key.stringValue.lowercased()) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: days,
                        debugDescription: "\"\(key.stringValue)\" is not a day: use mon, tue, wed, thu, fri, sat, sun"
                    )
                }
                let text = try days.decode(String.self, forKey: key)
                do {
                    week[day] = try OpeningHours.parseList(text)
                } catch {
                    throw DecodingError.dataCorruptedError(forKey: key, in: days, debugDescription: error.description)
                }
            }
        }
        var holidays: Set<Holiday> = []
        if container.contains(.holidays) {
            var list = try container.nestedUnkeyedContainer(forKey: .holidays)
            while !list.isAtEnd {
                let text = try list.decode(String.self)
                guard let holiday = Holiday(parsing: text) else {
                    throw DecodingError.dataCorruptedError(in: list, debugDescription: BusinessCalendarError.badHoliday(text).description)
                }
                holidays.insert(holiday)
            }
        }
        self.init(timeZone: zone, mode: mode, week: week, holidays: holidays)
    }
}
