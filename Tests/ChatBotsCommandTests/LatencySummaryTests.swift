import ChatBotKit
import Foundation
import Testing

@testable import chatbots

@Suite("Latency percentiles of chatbots bench")
struct LatencySummaryTests {
    @Test func percentilesAreSamplesThatTheGivenShareDoesNotExceed() throws {
        // 1 ms to 1000 ms, shuffled: p50 is the 500th, p99 the 990th, p99.9 the 999th.
        let samples = (1...1_000).map { Double($0) / 1_000 }.shuffled()
        let summary = try #require(LatencySummary(seconds: samples))
        #expect(summary.count == 1_000)
        #expect(summary.p50 == 0.5)
        #expect(summary.p99 == 0.99)
        #expect(summary.p999 == 0.999)
        #expect(summary.max == 1.0)
        #expect(LatencySummary(seconds: []) == nil)
        let one = try #require(LatencySummary(seconds: [0.25]))
        #expect([one.p50, one.p99, one.p999, one.max] == [0.25, 0.25, 0.25, 0.25])
    }

    @Test func eachChatIsTimedFromItsOpeningToItsFirstAssignment() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let opened: [ChatID: Date] = ["7": start, "8": start.addingTimeInterval(1)]
        let actions: [(path: String, receivedAt: Date)] = [
            ("/api/chats/7/messages/", start.addingTimeInterval(0.001)),  // not an assignment
            ("/api/chats/7/assign/", start.addingTimeInterval(0.004)),
            ("/api/chats/7/assign/", start.addingTimeInterval(9)),  // a later reassignment
            ("/api/chats/8/assign/", start.addingTimeInterval(1.002)),
            ("/api/chats/9/assign/", start.addingTimeInterval(2)),  // opened before the run
        ]
        let summary = try #require(LatencySummary.openingToAssignment(opened: opened, actions: actions))
        #expect(summary.count == 2)
        #expect(abs(summary.max - 0.004) < 1e-6)
        #expect(abs(summary.p50 - 0.002) < 1e-6)
        let later = try #require(LatencySummary.openingToAssignment(opened: opened, actions: actions, since: start.addingTimeInterval(0.5)))
        #expect(later.count == 1, "chat 7 opened before `since`")
        #expect(abs(later.max - 0.002) < 1e-6)
    }
}
