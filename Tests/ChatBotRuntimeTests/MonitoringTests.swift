import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

/// `/metrics`, `/health` and `/ready` of a running runtime, scraped over real HTTP while
/// the emulator sends real traffic over a real socket.
@Suite("Metrics and health endpoints", .timeLimit(.minutes(3)))
struct MonitoringTests {
    static func configuration(port: Int, store: String, monitoring: String = "") -> String {
        emulatorRuntimeYAML(
            port: port, store: store,
            extra: """
                monitoring:
                  enabled: true
                  port: 0
                \(monitoring)
                bots:
                  - type: after_hours
                    options:
                      hours: {time_zone: UTC, mode: always_closed}
                      replies: {en: "Closed."}
                  - type: sla_alerts
                    options:
                      policies: [{kind: unread, breach: 1h}]
                """)
    }

    static func runtime(port: Int, folder: URL, monitoring: String = "") throws -> BotRuntime {
        let loaded = try ConfigLoader.parse(
            configuration(port: port, store: folder.appendingPathComponent("bots.sqlite").path, monitoring: monitoring),
            file: "monitoring.yaml", environment: [:]
        )
        return BotRuntime(configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "monitoring.yaml"), logger: quietLogger)
    }

    @Test func metricValuesMoveAsTrafficFlows() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let runtime = try Self.runtime(port: port, folder: folder)
                try await withConnectedRuntime(runtime) { parts in
                    let monitoringPort = try #require(await runtime.waitForMonitoringPort())
                    let before = try await scrapeMetrics(port: monitoringPort)
                    #expect(before.value("chatbots_connected") == 1)
                    #expect(before.value("chatbots_frames_received_total") ?? 0 == 0)
                    // Before the first event, the runtime's start stands for it.
                    let started = try #require(before.value("chatbots_last_event_timestamp_seconds"))
                    #expect(abs(started - Date().timeIntervalSince1970) < 120)

                    let chat = emulator.openChat(client: "client-1")
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 1, "sender": "client-1", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#
                    )
                    emulator.send(rawFrame: "not json at all")
                    emulator.send(rawFrame: #"{"event_type": "brand_new_event", "data": {}}"#)
                    await parts.delivery.waitUntil { $0.delivered >= 1 }
                    // Four frames sent, and the echo of the bot's own reply: four events.
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 5 }
                    try await eventually("four events handled") { parts.engine.statistics.eventsHandled >= 4 }
                    await parts.engine.waitUntilIdle()

                    let after = try await scrapeMetrics(port: monitoringPort)
                    #expect(after.value("chatbots_frames_received_total") == 5)
                    #expect(after.value("chatbots_events_decoded_total", ["type": "new_chat"]) == 1)
                    #expect(after.value("chatbots_events_decoded_total", ["type": "new_message"]) == 2)
                    #expect(after.value("chatbots_events_decoded_total", ["type": "unknown"]) == 1)
                    #expect(after.value("chatbots_events_failed_total", ["reason": "notJSON"]) == 1)
                    #expect(after.value("chatbots_events_handled_total", ["type": "new_message"]) == 2)
                    // Each bot ran for each of the three events (its own echo reaches none).
                    #expect(after.value("chatbots_handler_duration_seconds_count", ["bot": "after_hours"]) == 3)
                    #expect(after.value("chatbots_handler_duration_seconds_count", ["bot": "sla_alerts"]) == 3)
                    #expect(after.value("chatbots_handler_duration_seconds_bucket", ["bot": "after_hours", "le": "+Inf"]) == 3)
                    #expect(after.text.contains("# TYPE chatbots_handler_duration_seconds histogram"))
                    #expect(after.value("chatbots_actions_total", ["kind": "send_message", "outcome": "delivered"]) == 1)
                    #expect(after.value("chatbots_outbox_pending") == 0)
                    #expect(after.value("chatbots_timers_pending") == 1, "the unread message's breach timer")
                    #expect((after.value("chatbots_last_event_timestamp_seconds") ?? 0) >= started)
                    #expect(after.value("chatbots_outbox_oldest_pending_age_seconds") == 0)
                    #expect(after.value("chatbots_alerts_total", ["bot": "sla_alerts", "level": "critical"]) == 0, "made at 0, before any alert")
                    #expect(after.value("chatbots_store_writable") == 1)
                    #expect(after.value("chatbots_handler_failures_total", ["bot": "after_hours"]) == 0, "no handler failed")
                }
            }
        }
    }

    @Test func readyTurnsFalseWhenTheSocketDropsAndTrueAfterTheReconnect() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let runtime = try Self.runtime(port: port, folder: folder)
                try await withConnectedRuntime(runtime) { parts in
                    let monitoringPort = try #require(await runtime.waitForMonitoringPort())
                    let health = try await monitoringGet(port: monitoringPort, "/health")
                    #expect(health.status == 200)
                    let ready = try await monitoringGet(port: monitoringPort, "/ready")
                    #expect(ready.status == 200)
                    #expect(ready.bodyText().contains(#""ready":true"#))

                    // The backend drops the socket and refuses handshakes for now.
                    emulator.apply(FaultCommand(dropSockets: true, refuseHandshakes: 503))
                    await parts.gateway.waitUntil { _, counters in counters.disconnections >= 1 && counters.failedAttempts >= 1 }
                    let down = try await monitoringGet(port: monitoringPort, "/ready")
                    #expect(down.status == 503)
                    #expect(down.bodyText().contains("not connected to the backend"))
                    #expect(try await scrapeMetrics(port: monitoringPort).value("chatbots_connected") == 0)
                    #expect(try await monitoringGet(port: monitoringPort, "/health").status == 200, "alive while down")

                    emulator.apply(FaultCommand(refuseHandshakes: 0))
                    await parts.gateway.waitUntil { state, counters in
                        if case .connected = state { counters.connections == 2 } else { false }
                    }
                    #expect(try await monitoringGet(port: monitoringPort, "/ready").status == 200)
                    let metrics = try await scrapeMetrics(port: monitoringPort)
                    #expect(metrics.value("chatbots_reconnects_total") == 1)
                    #expect(metrics.value("chatbots_connected") == 1)
                }
            }
        }
    }

    @Test func readyTurnsFalseWhenTheOutboxBacklogPassesItsLimit() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let runtime = try Self.runtime(port: port, folder: folder, monitoring: "  ready_max_outbox: 0")
                try await withConnectedRuntime(runtime) { parts in
                    let monitoringPort = try #require(await runtime.waitForMonitoringPort())
                    // The backend fails the reply for a long while: it waits in the outbox.
                    emulator.apply(FaultCommand(failActions: .init(count: 1_000, status: 503, retryAfter: 600)))
                    let chat = emulator.openChat(client: "client-1")
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 1, "sender": "client-1", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#
                    )
                    await parts.delivery.waitUntil { $0.retried >= 1 }
                    let ready = try await monitoringGet(port: monitoringPort, "/ready")
                    #expect(ready.status == 503)
                    #expect(ready.bodyText().contains("outbox backlog 1 is over the limit of 0"))
                    let metrics = try await scrapeMetrics(port: monitoringPort)
                    #expect(metrics.value("chatbots_outbox_pending") == 1)
                    #expect(metrics.value("chatbots_actions_total", ["kind": "send_message", "outcome": "retried"]) == 1)
                    #expect(metrics.value("chatbots_outbox_waiting", ["reason": "backoff"]) == 1, "it waits out the Retry-After")
                    #expect(metrics.value("chatbots_outbox_waiting", ["reason": "in_flight"]) == 0)
                    #expect(ready.bodyText().contains(#""backoff":1"#))
                }
            }
        }
    }

    @Test func aTakenPortStopsTheRuntimeWithAnErrorNamingIt() async throws {
        try await Emulator.withRunning { _, port in
            try await withTemporaryFolder { folder in
                // The emulator already listens on `port`.
                let taken = try ConfigLoader.parse(
                    Self.configuration(port: port, store: folder.appendingPathComponent("bots.sqlite").path)
                        .replacingOccurrences(of: "  port: 0", with: "  port: \(port)"),
                    file: "taken.yaml", environment: [:]
                )
                let clash = BotRuntime(configuration: taken, bots: [], logger: quietLogger)
                let error = await #expect(throws: MonitoringError.self) { try await clash.run() }
                #expect(error?.description.contains("cannot listen on 127.0.0.1:\(port)") == true)
            }
        }
    }
}
