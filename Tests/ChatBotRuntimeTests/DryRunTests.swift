import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Logging
import Testing

@Suite("Dry run (shadow mode)", .timeLimit(.minutes(2)))
struct DryRunTests {
    @Test func theBotsDecideForRealAndNothingReachesTheBackend() async throws {
        let lines = LogLines()
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(port: port, store: folder.appendingPathComponent("shadow.sqlite").path, extra: """
                    bots:
                      - type: after_hours
                        options:
                          hours: {time_zone: UTC, mode: always_closed}
                          replies: {en: "Closed."}
                    """)
                let loaded = try ConfigLoader.parse(yaml, file: "shadow.yaml", environment: [:])
                let logger = Logger(label: "chatbots") { JSONLogHandler(label: $0, write: lines.append) }
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "shadow.yaml"), logger: logger, dryRun: true
                )
                try await withConnectedRuntime(runtime) { parts throws in
                    let chat = emulator.openChat(client: "client-1")
                    emulator.send(rawFrame: #"{"event_type": "new_message", "data": {"id": 1, "sender": "client-1", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#)
                    await parts.delivery.waitUntil { $0.delivered >= 1 }
                    #expect(emulator.record.actions.isEmpty, "nothing reached the backend")
                    #expect(try await parts.store.pendingActionCount() == 0)
                    let shadowed = lines.all.filter { $0.contains("dry run: not sent") }
                    #expect(shadowed.count == 1)
                    #expect(shadowed.first?.contains("/api/chats/\(chat)/messages/") == true)
                }
            }
        }
    }
}
