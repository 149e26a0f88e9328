import ArgumentParser
import Foundation
import Testing

@testable import chatbots

/// The soak on a small desk: its clock drives the whole runtime, so eight simulated days
/// pass in seconds, and retention forgets the chats closed in the first.
@Suite("chatbots soak", .timeLimit(.minutes(3)))
struct SoakCommandTests {
    @Test func eightSmallDaysFollowTheClockAndForgetTheFirstDaysClosedChats() async throws {
        let command = try SoakCommand.parse([
            "--days", "8", "--chats-per-day", "20", "--clients", "8", "--report-every", "4", "--burst", "200", "--seed", "4",
        ])
        let reports = try await command.soak { _ in }
        #expect(reports.map(\.day) == [4, 8])
        let last = try #require(reports.last)
        #expect(last.clockAt == SoakCommand.start.addingTimeInterval(8 * 86_400))
        // The gateway stamps events with the soak's clock: the last one read on day 8.
        let stamped = try #require(last.lastEventAt)
        #expect(stamped > SoakCommand.start.addingTimeInterval(7 * 86_400))
        #expect(stamped <= last.clockAt)
        #expect(last.chatsForgotten > 0, "chats closed on the first day are forgotten after seven quiet days")
        #expect(reports.allSatisfy { $0.storeBytes > 0 && $0.burstEventsPerSecond > 0 && $0.slowestMetricsMilliseconds > 0 })
        #expect(reports.allSatisfy { $0.chatsPerDay > 0 })
        let verdict = SoakReport.verdict(reports, retentionDays: 30)
        #expect(verdict.contains("/metrics at most"))
        #expect(verdict.contains("the run is too short to pass the 30-day retention"))
    }

    @Test(arguments: [
        (["--days", "0"], "--days must be from 1 to 3650, not 0"),
        (["--chats-per-day", "0"], "--chats-per-day must be from 1 to 1000000, not 0"),
        (["--report-every", "0"], "--report-every must be at least 1 day, not 0"),
    ])
    func badOptionsAreNamed(arguments: [String], message: String) {
        let error = #expect(throws: (any Error).self) { try SoakCommand.parse(arguments) }
        #expect(error.map { SoakCommand.message(for: $0) } == message)
    }
}
