import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation
import Testing

/// The socket side of the fault-injection suite: every way the backend ends or refuses a
/// connection, and a token endpoint that fails or is slow. Each test breaks the
/// connection on purpose over a real socket and checks that events flow again.
@Suite("Faults: socket and token endpoint", .timeLimit(.minutes(2)))
struct SocketFaultTests {
    private static let quickTokenRetry = RetryPolicy(base: .milliseconds(50), cap: .milliseconds(200))

    /// After the fault, the gateway is connected again and a new event arrives.
    private static func eventsFlowAgain(_ emulator: Emulator, _ gateway: Gateway, _ sink: EventSink, connections: Int, marker name: String) async {
        await gateway.waitUntil { state, counters in counters.connections >= connections && isConnected(state) }
        emulator.send(rawFrame: marker(name))
        await sink.waitUntil(sawMarker(name))
    }

    @Test(arguments: [1000, 1001, 1011, 4001, 4003] as [UInt16])
    func afterTheBackendClosesWithThisCodeItReconnects(code: UInt16) async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.apply(FaultCommand(closeSockets: code))
                await Self.eventsFlowAgain(emulator, gateway, sink, connections: 2, marker: "after-\(code)")
                #expect(gateway.statistics.disconnections == 1)
            }
        }
    }

    @Test(arguments: [403, 500])
    func aRefusedHandshakeIsRetriedUntilTheBackendTakesItAgain(status: Int) async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.apply(FaultCommand(dropSockets: true, refuseHandshakes: status))
                await gateway.waitUntil { _, counters in counters.failedAttempts >= 3 }
                #expect(!isConnected(gateway.connectionState))
                emulator.apply(FaultCommand(refuseHandshakes: 0))
                await Self.eventsFlowAgain(emulator, gateway, sink, connections: 2, marker: "after-\(status)")
            }
        }
    }

    @Test(arguments: [401, 500])
    func aTokenEndpointThatFailsIsRetriedAndTheSocketComesBack(status: Int) async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port, tokenRetry: Self.quickTokenRetry) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.apply(FaultCommand(dropSockets: true, failTokens: .init(count: 3, status: status)))
                await Self.eventsFlowAgain(emulator, gateway, sink, connections: 2, marker: "after-token-\(status)")
                #expect(gateway.statistics.failedAttempts >= 1, "no socket without a token")
            }
        }
    }

    @Test func aSlowTokenEndpointDelaysTheReconnectButDoesNotStopIt() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withGateway(port: port) { gateway, sink, _ in
                await gateway.waitUntil { state, _ in isConnected(state) }
                emulator.apply(FaultCommand(dropSockets: true, delayMilliseconds: 1_500))
                let dropped = ContinuousClock.now
                await Self.eventsFlowAgain(emulator, gateway, sink, connections: 2, marker: "after-slow-token")
                #expect(ContinuousClock.now - dropped >= .milliseconds(1_400), "the reconnect waited for the token")
            }
        }
    }
}
