import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Synchronization
import Testing

/// Collects the gateway's events; a test waits on it.
final class EventSink: Sendable {
    private let events = Mutex<[ChatEvent]>([])
    private let changes = ChangeSignal()

    func add(_ event: ChatEvent) {
        events.withLock { $0.append(event) }
        changes.notify()
    }

    var all: [ChatEvent] {
        events.withLock { $0 }
    }

    func waitUntil(_ condition: ([ChatEvent]) -> Bool) async {
        while !Task.isCancelled {
            let token = changes.token
            if condition(all) { return }
            await changes.wait(since: token)
        }
    }
}

/// Runs a gateway against the emulator on `port` for the duration of `body`.
func withGateway(
    port: Int, origin: String? = nil, pingInterval: Duration = .seconds(20),
    tokenRetry: RetryPolicy = RetryPolicy(base: .seconds(1), cap: .seconds(60)),
    _ body: @Sendable (Gateway, EventSink, KeycloakTokenProvider) async throws -> Void
) async throws {
    let tokens = KeycloakTokenProvider(
        configuration: .init(
            tokenURL: "http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token",
            clientID: "chatbots", clientSecret: Secret("chatbots-secret"), retry: tokenRetry
        ),
        logger: quietLogger
    )
    let sink = EventSink()
    let gateway = try Gateway(
        configuration: GatewayConfiguration(
            serverURL: "ws://127.0.0.1:\(port)", origin: origin, pingInterval: pingInterval,
            reconnect: RetryPolicy(base: .milliseconds(20), cap: .milliseconds(100))
        ),
        tokens: tokens, logger: quietLogger, onEvent: { event, _ in sink.add(event) }
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await gateway.run() }
        defer { group.cancelAll() }
        try await body(gateway, sink, tokens)
    }
}

func marker(_ name: String) -> String {
    #"{"event_type": "marker", "data": {"name": "\#(name)"}}"#
}

func sawMarker(_ name: String) -> ([ChatEvent]) -> Bool {
    { events in events.contains { if case .unknown(let event) = $0 { event.data["name"] == .string(name) } else { false } } }
}

func isConnected(_ state: Gateway.ConnectionState) -> Bool {
    if case .connected = state { true } else { false }
}

@Suite("The gateway: one socket, kept alive", .timeLimit(.minutes(2)))
struct GatewayTests {
    @Test func eventsArriveDecodedInOrder() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                let chat = emulator.openChat(client: "client-1")
                emulator.send(rawFrame: marker("one"))
                await sink.waitUntil(sawMarker("one"))
                #expect(sink.all.first == .newChat(.init(clientID: "client-1", chatID: chat, chatType: .order)))
                #expect(gateway.statistics.framesReceived == 2)
            }
        }
    }

    @Test func afterADroppedSocketItReconnectsAndTheNextEventsArrive() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.apply(FaultCommand(dropSockets: true))
                await gateway.waitUntil { state, counters in counters.connections == 2 && isConnected(state) }
                emulator.send(rawFrame: marker("after-drop"))
                await sink.waitUntil(sawMarker("after-drop"))
                #expect(gateway.statistics.disconnections == 1)
            }
        }
    }

    @Test func afterA4001ItReconnectsWithANewToken() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, tokens in
                await gateway.waitUntil { state, _ in isConnected(state) }
                let before = try await tokens.token()
                emulator.revokeTokens()
                await gateway.waitUntil { state, counters in counters.connections == 2 && isConnected(state) }
                emulator.send(rawFrame: marker("after-4001"))
                await sink.waitUntil(sawMarker("after-4001"))
                #expect(try await tokens.token() != before)
            }
        }
    }

    @Test func aHalfOpenConnectionIsNoticedByMissedPongsAndReplaced() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port, pingInterval: .milliseconds(300)) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.apply(FaultCommand(silent: true))
                let silencedAt = ContinuousClock.now
                await gateway.waitUntil { _, counters in counters.disconnections == 1 }
                let noticedAfter = ContinuousClock.now - silencedAt
                // Within a ping interval plus the pong deadline (one more interval),
                // with room for a slow machine; not after a close handshake timeout.
                #expect(noticedAfter < .seconds(5))
                emulator.apply(FaultCommand(silent: false))
                await gateway.waitUntil { state, counters in counters.connections >= 2 && isConnected(state) }
                emulator.send(rawFrame: marker("awake"))
                await sink.waitUntil(sawMarker("awake"))
            }
        }
    }

    @Test func unreadableAndOversizedFramesAreRejectedOneByOneAndTheSocketStays() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.send(rawFrame: "not json")
                emulator.send(rawFrame: #"{"event_type": "new_chat", "data": "x"}"#)
                emulator.send(rawFrame: #"{"event_type": "chat_note", "data": {"text": "\#(String(repeating: "a", count: 2 << 20))"}}"#)
                emulator.send(rawFrame: marker("still-here"))
                await sink.waitUntil(sawMarker("still-here"))
                #expect(gateway.statistics.framesRejected == 3)
                #expect(gateway.statistics.connections == 1)
            }
        }
    }

    @Test func itSendsTheConfiguredOrigin() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(requiresOrigin: true)) { emulator, port in
            try await withGateway(port: port, origin: "https://support.example") { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.send(rawFrame: marker("origin"))
                await sink.waitUntil(sawMarker("origin"))
            }
        }
    }

    @Test func plainWebSocketToARemoteHostIsRefusedUnlessAllowed() throws {
        let tokens = StaticTokenProvider(token: "t")
        #expect(throws: GatewayError.self) {
            try Gateway(configuration: .init(serverURL: "ws://chat.example.com"), tokens: tokens, logger: quietLogger) { _, _ in }
        }
        #expect(throws: GatewayError.self) {
            try Gateway(configuration: .init(serverURL: "https://chat.example.com"), tokens: tokens, logger: quietLogger) { _, _ in }
        }
        _ = try Gateway(configuration: .init(serverURL: "wss://chat.example.com"), tokens: tokens, logger: quietLogger) { _, _ in }
        _ = try Gateway(configuration: .init(serverURL: "ws://chat.internal", allowsInsecureRemote: true), tokens: tokens, logger: quietLogger) {
            _, _ in
        }
        _ = try Gateway(configuration: .init(serverURL: "ws://127.0.0.1:8080"), tokens: tokens, logger: quietLogger) { _, _ in }
    }
}
