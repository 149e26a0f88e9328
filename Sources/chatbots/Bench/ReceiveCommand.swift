import ArgumentParser
import ChatBotKit
import ChatBotRuntime
import Foundation
import Logging
import NIOWebSocket
import Synchronization
import WSClient

/// `chatbots receive`: frames read off the backend's socket by the gateway's WebSocket
/// client, exactly as the gateway sets it up, and nothing else: no decoding, no engine.
/// The socket's ceiling, for comparing the whole runtime with (`Scripts/yardstick.py`).
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Count frames read with the gateway's WebSocket client setup, without handling them (a benchmark's ceiling)."
    )

    @Option(help: "The backend's WebSocket base URL (the path /connect/ is added).")
    var server = "ws://127.0.0.1:8080"

    @Option(help: "Keycloak's token endpoint.")
    var tokenURL = "http://127.0.0.1:8080/realms/support/protocol/openid-connect/token"

    @Option(help: "The service account's client id.")
    var clientID = "chatbots"

    @Option(help: "The service account's client secret (the emulator's by default).")
    var clientSecret = "chatbots-secret"

    @Option(help: "Stop after this many frames.")
    var frames = 100_000

    @Option(help: "Give up after this many seconds.")
    var timeout = 300

    func validate() throws {
        guard frames > 0 else { throw ValidationError("--frames must be at least 1, not \(frames)") }
        guard timeout > 0 else { throw ValidationError("--timeout must be at least 1, not \(timeout)") }
    }

    func run() async throws {
        let logger = Logger(label: "chatbots.receive", level: .error)
        let tokens = KeycloakTokenProvider(
            configuration: .init(tokenURL: tokenURL, clientID: clientID, clientSecret: Secret(clientSecret)), logger: logger
        )
        let token = try await tokens.token()
        let gateway = GatewayConfiguration(serverURL: server)
        let (wanted, url, limit) = (frames, "\(server)\(gateway.path)?token=\(token)", timeout)
        let clock = ContinuousClock()
        let measured = try await withThrowingTaskGroup(of: (count: Int, elapsed: Duration)?.self) { group in
            group.addTask {
                let tally = ReceiveTally()
                _ = try await WebSocketClient.connect(
                    url: url, configuration: gateway.webSocketClientConfiguration, logger: logger
                ) { inbound, outbound, _ in
                    var count = 0
                    var started: ContinuousClock.Instant?
                    for try await _ in inbound.messages(maxSize: gateway.transportFrameLimit) {
                        if started == nil { started = clock.now }
                        count += 1
                        if count == wanted { break }
                    }
                    tally.record(count: count, elapsed: started.map { clock.now - $0 } ?? .zero)
                    try await outbound.close(.normalClosure, reason: nil)
                }
                return tally.result
            }
            group.addTask {
                try await Task.sleep(for: .seconds(limit))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let measured, measured.count == wanted else {
            throw ValidationError("no \(wanted) frames within \(timeout) s")
        }
        let seconds = measured.elapsed.timeInterval
        print(String(format: "receive frames=%d seconds=%.2f frames/s=%.0f", measured.count, seconds, Double(measured.count) / max(seconds, 1e-9)))
    }
}

/// What the socket's handler counted, handed out of its `@Sendable` closure.
private final class ReceiveTally: Sendable {
    private let stored = Mutex((count: 0, elapsed: Duration.zero))

    func record(count: Int, elapsed: Duration) {
        stored.withLock { $0 = (count, elapsed) }
    }

    var result: (count: Int, elapsed: Duration) {
        stored.withLock { $0 }
    }
}
