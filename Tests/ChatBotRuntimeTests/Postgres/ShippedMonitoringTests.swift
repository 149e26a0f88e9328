import ChatBotKit
import ChatBotTesting
import ChatEmulator
import Foundation
import ServiceLifecycle
import Testing

@testable import ChatBotRuntime

/// The monitoring that ships in Config/monitoring names only metrics a running runtime
/// exports: a leader on PostgreSQL (so the lease's metrics are there too), driven until
/// every labelled family has shown, then scraped over HTTP.
@Suite("The shipped alerts, recording rules and dashboard", .enabled(if: TestPostgres.isEnabled), .timeLimit(.minutes(3)))
struct ShippedMonitoringTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Config/monitoring").standardized

    /// Every `chatbots_...` metric a file names: not the recording rules' own names
    /// (`level:chatbots_metric:operation`), which are no exported metric.
    static func metricsNamed(in file: String) throws -> Set<String> {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"(?<![:\w])chatbots_[a-z0-9_]+(?![:\w])"#)
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        return Set(matches.compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }

    @Test func everyMetricTheRulesAndTheDashboardNameIsExported() async throws {
        let named = try ["alerts.yml", "recording_rules.yml", "dashboards/chatbots.json"].map { ($0, try Self.metricsNamed(in: $0)) }
        #expect(named.allSatisfy { !$0.1.isEmpty }, "each file names metrics: \(named)")
        let schema = TestPostgres.newSchemaName()
        defer { Task { try? await TestPostgres.dropSchema(schema) } }
        try await Emulator.withRunning(EmulatorConfiguration(seed: 5, world: .init(clients: 4, curators: 2))) { emulator, port in
            let yaml = try TakeoverLiveTests.configuration(
                port: port, schema: schema, moreBots: "\n  - type: sla_alerts\n    options: {policies: [{kind: unread, breach: 1h}]}\n"
            )
            let loaded = try ConfigLoader.parse(yaml, file: "monitoring.yaml", environment: [:])
            let runtime = BotRuntime(configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "x"), logger: quietLogger)
            let group = ServiceGroup(configuration: .init(services: [runtime], logger: quietLogger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let parts = try #require(await within(.seconds(60), "the runtime to lead") { await runtime.waitUntilStarted() })
                try await within(.seconds(60), "the runtime to connect") { await parts.gateway.waitUntilConnected() }
                // Traffic, and a frame the decoder refuses: the last family made lazily.
                emulator.generate(steps: 30)
                emulator.send(rawFrame: "not json at all")
                try await within(.seconds(60), "the traffic to settle") { try await settleTraffic(emulator, parts) }

                let page = try await scrapeMetrics(port: try #require(await runtime.waitForMonitoringPort()))
                let exported = Set(page.samples.map(\.name))
                for (file, names) in named {
                    for name in names.sorted() where !exported.contains(name) {
                        Issue.record("\(file) names \(name), which the runtime does not export")
                    }
                }
                // The metrics renamed to Prometheus' conventions are there under their new names.
                #expect(page.value("chatbots_lease_takeovers_total") == 1)
                #expect(page.value("chatbots_leader") == 1)
                #expect(page.value("chatbots_alerts_total", ["bot": "sla_alerts", "level": "critical"]) != nil)
                #expect(page.value("chatbots_outbox_oldest_pending_age_seconds") == 0, "nothing waits once traffic settled")
                let lastEvent = try #require(page.value("chatbots_last_event_timestamp_seconds"))
                #expect(abs(lastEvent - Date().timeIntervalSince1970) < 120)
                #expect(!exported.contains("chatbots_seconds_since_last_event") && !exported.contains("chatbots_lease_takeovers"))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
