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
                let configuredStore = folder.appendingPathComponent("production.sqlite").path
                let yaml = emulatorRuntimeYAML(
                    port: port, store: configuredStore,
                    extra: """
                        bots:
                          - type: after_hours
                            options:
                              hours: {time_zone: UTC, mode: always_closed}
                              replies: {en: "Closed."}
                          - type: sla_alerts
                            options:
                              policies: [{kind: unread, breach: 1s}]
                        """
                ).replacingOccurrences(of: "/hooks/alerts", with: "/hooks/T0SECRET/B0SECRET")
                let loaded = try ConfigLoader.parse(yaml, file: "shadow.yaml", environment: [:])
                let logger = Logger(label: "chatbots") { JSONLogHandler(label: $0, write: lines.append) }
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "shadow.yaml"), logger: logger, dryRun: true
                )
                try await withConnectedRuntime(runtime) { parts throws in
                    let chat = emulator.openChat(client: "client-1")
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 1, "sender": "client-1", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#
                    )
                    await parts.delivery.waitUntil { $0.delivered >= 2 }  // the reply, then the breach alert
                    #expect(emulator.record.actions.isEmpty, "nothing reached the backend")
                    #expect(emulator.record.alerts.isEmpty, "nothing reached the webhook")
                    #expect(try await parts.store.pendingActionCount() == 0)
                    #expect(parts.store.location != configuredStore)
                    #expect(!FileManager.default.fileExists(atPath: configuredStore), "a dry run never touches the configured store")
                    let shadowed = lines.all.filter { $0.contains("dry run: not sent") }
                    #expect(shadowed.count == 2)
                    #expect(shadowed.contains { $0.contains("/api/chats/\(chat)/messages/") })
                    #expect(shadowed.contains { $0.contains("the alert webhook") })
                    #expect(!lines.all.contains { $0.contains("T0SECRET") }, "the webhook's secret path is never logged")
                }
            }
        }
    }
}
