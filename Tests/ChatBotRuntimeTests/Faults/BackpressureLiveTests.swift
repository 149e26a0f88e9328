import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Synchronization
import Testing

/// Backpressure over a real socket: while the bots are behind, the gateway goes on
/// reading into its bounded read buffer, so it never misses the backend's pongs and
/// takes slow bots for a dead connection.
@Suite("Faults: slow bots behind a live socket", .timeLimit(.minutes(2)))
struct BackpressureLiveTests {
    @Test func slowBotsNeverMakeTheGatewayDropAHealthyConnection() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(
                    port: port, store: folder.appendingPathComponent("bots.sqlite").path,
                    extra: """
                        engine:
                          max_queued_events: 2
                          handler_timeout_seconds: 60
                        """
                ).replacingOccurrences(of: "ping_interval_seconds: 5", with: "ping_interval_seconds: 1.5")
                let loaded = try ConfigLoader.parse(yaml, file: "slow.yaml", environment: [:])
                let bot = HeldBot()
                let runtime = BotRuntime(configuration: loaded, bots: [bot], logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    for index in 1...20 {
                        emulator.send(rawFrame: #"{"event_type": "user_status", "data": {"user_id": "u\#(index)", "status": "online"}}"#)
                    }
                    // Three ping intervals with the bots stuck and the queue full. (Waiting
                    // out a span is the point here: nothing must happen in it. The
                    // interval leaves a loaded machine room to answer each ping.)
                    try await Task.sleep(for: .seconds(4.5))
                    #expect(
                        parts.engine.queuedWork == 3,
                        "the engine's queue stays at its bound, besides the event in hand; the rest waits in the read buffer")
                    bot.release()
                    try await eventually("all twenty handled") { parts.engine.statistics.eventsHandled >= 20 }
                    // A socket closed for a missed pong shows only once the reader has
                    // drained what was buffered: one more event tells.
                    emulator.send(rawFrame: #"{"event_type": "user_status", "data": {"user_id": "u21", "status": "online"}}"#)
                    try await eventually("the next event handled") { parts.engine.statistics.eventsHandled >= 21 }
                    #expect(parts.gateway.statistics.connections == 1, "the first connection carried everything")
                    #expect(parts.gateway.statistics.disconnections == 0)
                }
            }
        }
    }
}
