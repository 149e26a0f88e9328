import ArgumentParser
import ChatBotKit
import ChatEmulator
import Foundation
import Synchronization
import Testing

@testable import chatbots

@Suite("chatbots demo", .timeLimit(.minutes(2)))
struct DemoCommandTests {
    @Test func theDemoTellsWhatTheBotsDoAndSumsItUp() async throws {
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/demo.yaml").standardized.path
        // The desk is closed for the first minute; the demo ends as soon as the story has
        // what this test looks for (on a busy machine that can take far longer than a
        // fixed few seconds), and at 50 s at the latest.
        let command = try DemoCommand.parse(["--config", config, "--duration", "50s", "--rate", "40", "--closed-for", "60s", "--seed", "3"])
        let lines = Mutex<[String]>([])
        let (written, writer) = AsyncStream.makeStream(of: String.self)
        let console = DemoConsole(showEvents: true) { line in
            lines.withLock { $0.append(line) }
            writer.yield(line)
        }
        let summary = try await command.runDemo(console: console) {
            var wanted = Self.storyLines
            var events = 0
            for await line in written {
                wanted.removeAll { $0(line) }
                if line.contains("  event   ") { events += 1 }
                if wanted.isEmpty, events > 20 { return }
            }
        }
        let story = lines.withLock { $0 }

        #expect(story.first?.hasPrefix("chatbots demo — an emulator on 127.0.0.1:") == true)
        for (index, isWanted) in Self.storyLines.enumerated() {
            #expect(story.contains(where: isWanted), "story line \(index) is missing")
        }
        #expect(story.contains { $0.contains("monitoring on http://127.0.0.1:") }, "the demo says where its metrics are")
        #expect(summary.engine?.eventsHandled ?? 0 > 20)
        #expect(summary.record.appliedActions.contains { $0.path.hasSuffix("/messages/") })
        #expect(summary.outboxPending == 0, "\(summary.text)")
        #expect(summary.text.contains("actions applied:"))
    }

    /// Lines the demo's story must have: a new chat, an after-hours decision, its delivery.
    static let storyLines: [@Sendable (String) -> Bool] = [
        { $0.contains("  event   new_chat ") },
        { $0.contains("  decide  after_hours ") && $0.contains("auto-reply in ") },
        { $0.contains("  act     send_message ") && $0.contains("delivered (after_hours)") },
    ]

    @Test func theDeskOpensOnAWholeMinuteAfterTheClosedSpell() {
        let hours = DemoHours(closedFor: 60, now: Date(timeIntervalSince1970: 1_767_225_600 + 3_600 * 17 + 30))  // 17:00:30 UTC
        #expect(hours.opensText == "17:02")
        #expect(hours.hoursText == "17:02-01:02")
    }

    @Test(arguments: [["--duration", "soon"], ["--rate", "0"], ["--closed-for", "x"]])
    func badOptionsAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try DemoCommand.parse(arguments) }
    }
}
