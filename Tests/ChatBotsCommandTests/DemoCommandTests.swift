@testable import chatbots
import ArgumentParser
import ChatBotKit
import ChatEmulator
import Foundation
import Synchronization
import Testing

@Suite("chatbots demo", .timeLimit(.minutes(2)))
struct DemoCommandTests {
    @Test func theDemoTellsWhatTheBotsDoAndSumsItUp() async throws {
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/demo.yaml").standardized.path
        let command = try DemoCommand.parse(["--config", config, "--duration", "3s", "--rate", "40", "--closed-for", "60s", "--seed", "3"])
        let lines = Mutex<[String]>([])
        let console = DemoConsole(showEvents: true) { line in lines.withLock { $0.append(line) } }
        let summary = try await command.runDemo(console: console)
        let story = lines.withLock { $0 }

        #expect(story.first?.hasPrefix("chatbots demo — an emulator on 127.0.0.1:") == true)
        #expect(story.contains { $0.contains("  event   new_chat ") })
        #expect(story.contains { $0.contains("  decide  after_hours ") && $0.contains("auto-reply in ") })
        #expect(story.contains { $0.contains("  act     send_message ") && $0.contains("delivered (after_hours)") })
        #expect(story.contains { $0.contains("monitoring on http://127.0.0.1:") }, "the demo says where its metrics are")
        #expect(summary.engine?.eventsHandled ?? 0 > 20)
        #expect(summary.record.appliedActions.contains { $0.path.hasSuffix("/messages/") })
        #expect(summary.outboxPending == 0, "\(summary.text)")
        #expect(summary.text.contains("actions applied:"))
    }

    @Test func theDeskOpensOnAWholeMinuteAfterTheClosedSpell() {
        let hours = DemoHours(closedFor: 60, now: Date(timeIntervalSince1970: 1_767_225_600 + 3_600 * 17 + 30))   // 17:00:30 UTC
        #expect(hours.opensText == "17:02")
        #expect(hours.hoursText == "17:02-01:02")
    }

    @Test(arguments: [["--duration", "soon"], ["--rate", "0"], ["--closed-for", "x"]])
    func badOptionsAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try DemoCommand.parse(arguments) }
    }
}
