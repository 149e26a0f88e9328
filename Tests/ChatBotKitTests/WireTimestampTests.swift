import Foundation
import Testing

@testable import ChatBotKit

@Suite("Timestamps in every form the backend may send", .timeLimit(.minutes(2)))
struct WireTimestampTests {
    @Test(arguments: [
        ("2021-01-01T00:00:00", 1_609_459_200.0),
        ("2021-01-01 00:00:00", 1_609_459_200.0),
        ("2021-01-01T00:00:00Z", 1_609_459_200.0),
        ("2021-01-01T03:00:00+03:00", 1_609_459_200.0),
        ("2021-01-01T03:00:00+0300", 1_609_459_200.0),
        ("2020-12-31T19:30:00-04:30", 1_609_459_200.0),
        ("2021-01-01T00:00:00.5", 1_609_459_200.5),
        ("2021-01-01T00:00:00.123456Z", 1_609_459_200.123456),
        ("2021-01-01T00:00:00.123456789+00:00", 1_609_459_200.123456789),
        ("2024-02-29T12:00:00", 1_709_208_000.0),
        ("1970-01-01T00:00:00", 0.0),
        ("1969-12-31T23:59:59", -1.0),
    ])
    func parses(text: String, seconds: Double) throws {
        let date = try #require(WireTimestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: [
        "", "2021-01-01", "2021-01-01T00:00", "2021-13-01T00:00:00", "2021-02-29T00:00:00",
        "2021-01-01T24:00:00", "2021-01-01T00:00:00.", "2021-01-01T00:00:00+3", "2021-01-01T00:00:00 UTC",
        "21-01-01T00:00:00", "2021-01-01T00:00:00ZZ", "２０２１-01-01T00:00:00",
    ])
    func refuses(text: String) {
        #expect(WireTimestamp.parse(text) == nil)
    }

    @Test func naiveTimesAreReadAsWallClockAcrossDaylightSaving() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        // The night of 2024-03-31, clocks went from 02:00 CET to 03:00 CEST.
        let before = try #require(WireTimestamp.parse("2024-03-31T01:30:00", naiveTimeZone: berlin))
        let after = try #require(WireTimestamp.parse("2024-03-31T03:30:00", naiveTimeZone: berlin))
        #expect(before == WireTimestamp.parse("2024-03-31T00:30:00Z"))
        #expect(after == WireTimestamp.parse("2024-03-31T01:30:00Z"))
    }

    @Test func formatsAndParsesBackOverFourCenturies() throws {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let seconds = Double(Int64(generator.next() % 25_000_000_000) - 12_000_000_000)
            let micros = Double(generator.next() % 1_000_000) / 1_000_000
            let date = Date(timeIntervalSince1970: seconds + micros)
            for style in [WireTimestamp.Style.naive, .init(zone: .zulu), .init(zone: .offset(seconds: -18_000), alwaysFractional: true)] {
                let text = WireTimestamp.format(date, style: style)
                let parsed = try #require(WireTimestamp.parse(text), "could not parse \(text)")
                #expect(abs(parsed.timeIntervalSince(date)) < 0.000_001, "\(text)")
            }
        }
    }

    @Test func civilDateArithmeticMatchesFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        // From 1600: before its 1582 reform Foundation's Gregorian calendar is Julian.
        for days in stride(from: -135_000, through: 800_000, by: 997) {
            let date = Date(timeIntervalSince1970: Double(days) * 86_400)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let civil = WireTimestamp.civilDate(daysSinceEpoch: days)
            #expect(civil.year == parts.year && civil.month == parts.month && civil.day == parts.day)
            #expect(WireTimestamp.daysSinceEpoch(year: civil.year, month: civil.month, day: civil.day) == days)
        }
    }
}

/// A small deterministic generator, so the property test is the same every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
