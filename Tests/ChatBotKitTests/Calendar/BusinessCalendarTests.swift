import ChatBotKit
import Foundation
import Testing

/// A moment written in UTC: `utc("2026-03-27T17:30:00Z")`.
func utc(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else {
        Issue.record("not a timestamp: \(text)")
        return .distantPast
    }
    return date
}

@Suite struct BusinessCalendarTests {
    let berlin: BusinessCalendar

    init() throws {
        berlin = try BusinessCalendar(
            timeZone: "Europe/Berlin",
            week: [.monday: "09:00-18:00", .tuesday: "09:00-18:00", .wednesday: "09:00-18:00", .thursday: "09:00-18:00", .friday: "09:00-18:00"],
            holidays: ["12-25", "2026-12-31"]
        )
    }

    @Test func openAndClosedOnAnOrdinaryDay() {
        // Wednesday 2026-01-14: 09:00 CET is 08:00 UTC.
        #expect(!berlin.isOpen(at: utc("2026-01-14T07:59:00Z")))
        #expect(berlin.isOpen(at: utc("2026-01-14T08:00:00Z")))
        #expect(berlin.isOpen(at: utc("2026-01-14T16:59:00Z")))
        #expect(!berlin.isOpen(at: utc("2026-01-14T17:00:00Z")))
    }

    @Test func hoursStayLocalAcrossTheSpringDaylightSavingChange() {
        // Clocks go forward on Sunday 2026-03-29. Friday 18:00 CET closes at 17:00 UTC;
        // Monday 09:00 CEST opens at 07:00 UTC, an hour earlier in UTC than a week before.
        let period = berlin.openPeriod(atOrAfter: utc("2026-03-27T17:30:00Z"))
        #expect(period?.start == utc("2026-03-30T07:00:00Z"))
        #expect(period?.end == utc("2026-03-30T16:00:00Z"))
        #expect(berlin.openPeriod(atOrAfter: utc("2026-03-20T17:30:00Z"))?.start == utc("2026-03-23T08:00:00Z"))
        // Open time over the weekend of the change: Friday's last hour and Monday's first.
        #expect(berlin.businessTime(from: utc("2026-03-27T16:00:00Z"), to: utc("2026-03-30T08:00:00Z")) == 2 * 3_600)
    }

    @Test func anAutumnDayHasTwentyFiveOpenHours() throws {
        // Clocks go back on Sunday 2026-10-25: a desk open all that day is open 25 hours.
        let allDay = try BusinessCalendar(timeZone: "Europe/Berlin", week: [.sunday: "00:00-24:00"])
        let open = try #require(allDay.openPeriod(atOrAfter: utc("2026-10-24T12:00:00Z")))
        #expect(open.start == utc("2026-10-24T22:00:00Z"))
        #expect(open.duration == 25 * 3_600)
    }

    @Test func hoursThatASpringJumpSkipsAreShorter() throws {
        // 01:00-04:00 on the day 02:00 does not exist: 00:00 to 02:00 UTC, two hours.
        let night = try BusinessCalendar(timeZone: "Europe/Berlin", week: [.sunday: "01:00-04:00"])
        let open = try #require(night.openPeriod(atOrAfter: utc("2026-03-28T12:00:00Z")))
        #expect(open.start == utc("2026-03-29T00:00:00Z"))
        #expect(open.end == utc("2026-03-29T02:00:00Z"))
    }

    @Test func holidaysCloseTheDayYearlyAndOnce() {
        // Friday 2026-12-25 (a yearly holiday): closed at noon; next opening Monday the 28th.
        #expect(!berlin.isOpen(at: utc("2026-12-25T11:00:00Z")))
        #expect(berlin.openPeriod(atOrAfter: utc("2026-12-25T11:00:00Z"))?.start == utc("2026-12-28T08:00:00Z"))
        // Thursday 2026-12-31 is a holiday once; Thursday 2027-12-30 is an ordinary day.
        #expect(!berlin.isOpen(at: utc("2026-12-31T11:00:00Z")))
        #expect(berlin.isOpen(at: utc("2027-12-30T11:00:00Z")))
        // The yearly one comes back: Monday 2028-12-25.
        #expect(!berlin.isOpen(at: utc("2028-12-25T11:00:00Z")))
    }

    @Test func overnightHoursBelongToTheDayTheyStart() throws {
        let nights = try BusinessCalendar(timeZone: "UTC", week: [.monday: "22:00-06:00", .tuesday: "22:00-06:00"])
        // Monday 2026-01-12 22:00 to Tuesday 06:00, then Tuesday 22:00 to Wednesday 06:00.
        #expect(nights.isOpen(at: utc("2026-01-13T03:00:00Z")))
        #expect(!nights.isOpen(at: utc("2026-01-13T12:00:00Z")))
        #expect(nights.openPeriod(atOrAfter: utc("2026-01-13T12:00:00Z"))?.start == utc("2026-01-13T22:00:00Z"))
        #expect(!nights.isOpen(at: utc("2026-01-14T22:30:00Z")))
    }

    @Test func touchingIntervalsAreOneOpenPeriod() throws {
        let late = try BusinessCalendar(timeZone: "UTC", week: [.monday: "20:00-24:00", .tuesday: "00:00-02:00"])
        let period = try #require(late.openPeriod(atOrAfter: utc("2026-01-12T12:00:00Z")))
        #expect(period.start == utc("2026-01-12T20:00:00Z"))
        #expect(period.end == utc("2026-01-13T02:00:00Z"))
    }

    @Test func deadlinesInBusinessTimeSkipClosedHours() {
        // 30 open minutes from Friday 17:45 CET: 15 on Friday, 15 on Monday.
        let deadline = berlin.date(addingBusinessTime: 30 * 60, to: utc("2026-01-16T16:45:00Z"))
        #expect(deadline == utc("2026-01-19T08:15:00Z"))
    }

    @Test func overridesIgnoreTheWeek() {
        let open = BusinessCalendar(timeZone: berlin.timeZone, mode: .alwaysOpen, week: berlin.week)
        let closed = BusinessCalendar(timeZone: berlin.timeZone, mode: .alwaysClosed, week: berlin.week)
        let sundayNight = utc("2026-01-18T23:00:00Z")
        #expect(open.isOpen(at: sundayNight))
        #expect(!closed.isOpen(at: utc("2026-01-14T10:00:00Z")))
        #expect(closed.openPeriod(atOrAfter: sundayNight) == nil)
        #expect(closed.date(addingBusinessTime: 60, to: sundayNight) == nil)
    }

    @Test(arguments: [
        (#"{"time_zone": "Mars/Olympus"}"#, "Mars/Olympus"),
        (#"{"time_zone": "UTC", "week": {"monday": "09:00-18:00"}}"#, "monday"),
        (#"{"time_zone": "UTC", "week": {"mon": "9-18"}}"#, "9-18"),
        (#"{"time_zone": "UTC", "week": {"mon": "09:00-25:00"}}"#, "09:00-25:00"),
        (#"{"time_zone": "UTC", "holidays": ["02-30"]}"#, "02-30"),
        (#"{"time_zone": "UTC", "mode": "sometimes"}"#, "sometimes"),
        (#"{"time_zone": "UTC", "weekdays": {}}"#, "weekdays"),
    ])
    func badCalendarTextIsNamed(json: String, named: String) {
        #expect {
            try StrictDecoding.decode(BusinessCalendar.self, fromJSON: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(named)
        }
    }
}
