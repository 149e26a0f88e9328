import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Synchronization
import Testing

private func provider(port: Int, secret: String = "chatbots-secret", clock: VirtualClock = VirtualClock()) -> KeycloakTokenProvider {
    KeycloakTokenProvider(
        configuration: .init(
            tokenURL: "http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token",
            clientID: "chatbots", clientSecret: Secret(secret), renewalMargin: .seconds(30),
            retry: RetryPolicy(base: .seconds(5), cap: .seconds(60))
        ),
        clock: clock, logger: quietLogger
    )
}

@Suite("Keycloak client-credentials tokens", .timeLimit(.minutes(2)))
struct KeycloakTokenProviderTests {
    @Test func aTokenIsCachedUntilItNearsExpiryThenRenewed() async throws {
        try await Emulator.withRunning(EmulatorConfiguration(tokenLifetime: .seconds(300))) { _, port in
            let clock = VirtualClock(start: Date())
            let tokens = provider(port: port, clock: clock)
            let first = try await tokens.token()
            #expect(try await tokens.token() == first, "cached")
            clock.advance(by: .seconds(269))
            #expect(try await tokens.token() == first, "still 31 s from expiry")
            clock.advance(by: .seconds(2))
            let renewed = try await tokens.token()
            #expect(renewed != first, "renewed 30 s before expiry")
            await tokens.invalidate()
            #expect(try await tokens.token() != renewed, "invalidated: fetched anew")
        }
    }

    @Test func aWrongSecretNamesTheClientAndURLButNeverTheSecret() async throws {
        try await Emulator.withRunning { _, port in
            let tokens = provider(port: port, secret: "s3cr3t-value-123")
            do {
                _ = try await tokens.token()
                Issue.record("a wrong secret must not give a token")
            } catch {
                let text = "\(error)"
                #expect(text.contains("chatbots"))
                #expect(text.contains("/realms/support/protocol/openid-connect/token"))
                #expect(text.contains("unauthorized_client"))
                #expect(!text.contains("s3cr3t-value-123"))
                #expect(!String(reflecting: error).contains("s3cr3t-value-123"))
            }
        }
    }

    @Test func afterAFailureItBacksOffInsteadOfHammeringKeycloak() async throws {
        let clock = VirtualClock(start: Date())
        let transport = RefusingTransport()
        let tokens = KeycloakTokenProvider(
            configuration: .init(
                tokenURL: "http://keycloak.invalid/realms/x/protocol/openid-connect/token", clientID: "c", clientSecret: Secret("s"),
                retry: RetryPolicy(base: .seconds(2), cap: .seconds(60))
            ),
            transport: transport, clock: clock, logger: quietLogger
        )
        await #expect(throws: TokenError.self) { try await tokens.token() }
        // Within the backoff the last error comes back without a request.
        await #expect(throws: TokenError.self) { try await tokens.token() }
        #expect(transport.requests == 1)
        clock.advance(by: .seconds(2))
        await #expect(throws: TokenError.self) { try await tokens.token() }
        #expect(transport.requests == 2)
        // The next backoff is longer.
        clock.advance(by: .seconds(2))
        await #expect(throws: TokenError.self) { try await tokens.token() }
        #expect(transport.requests == 2)
    }

    @Test func aSecretNeverPrints() {
        let secret = Secret("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}

/// A transport whose every request fails to connect; it counts them.
final class RefusingTransport: HTTPTransport {
    private let count = Mutex(0)

    var requests: Int {
        count.withLock { $0 }
    }

    func perform(_ request: OutgoingRequest) async throws -> IncomingResponse {
        count.withLock { $0 += 1 }
        throw URLError(.cannotConnectToHost)
    }
}
