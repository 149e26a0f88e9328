import ChatBotKit
import ChatEmulator
import Foundation
import Testing

@Suite("The Keycloak-shaped token endpoint", .timeLimit(.minutes(2)))
struct TokenEndpointTests {
    @Test func issuesAJWTWithSubjectIssuedAtAndExpiry() async throws {
        try await withEmulator(EmulatorConfiguration(tokenLifetime: .seconds(120))) { _, endpoints in
            let answer = try await HTTPProbe(endpoints: endpoints).requestToken()
            #expect(answer.status == 200)
            #expect(answer.json["token_type"] == "Bearer")
            #expect(answer.json["expires_in"] == .integer(120))
            let token = try #require(answer.json["access_token"]?.stringValue)
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.count == 3)
            var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
            let claims = try JSONDecoder().decode(JSONValue.self, from: try #require(Data(base64Encoded: payload)))
            #expect(claims["sub"] == "1000")
            guard case .integer(let issuedAt) = claims["iat"], case .integer(let expiry) = claims["exp"] else {
                Issue.record("iat and exp must be integers: \(claims)")
                return
            }
            #expect(expiry - issuedAt == 120)
        }
    }

    /// A refused token request, and what Keycloak answers it with.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var clientID: String? = nil
        var secret: String? = nil
        var grant = "client_credentials"
        let status: Int
        let error: String
    }

    @Test(arguments: [
        Refusal(testDescription: "a wrong secret", secret: "wrong", status: 401, error: "unauthorized_client"),
        Refusal(testDescription: "an unknown client", clientID: "someone-else", status: 401, error: "invalid_client"),
        Refusal(testDescription: "another grant type", grant: "password", status: 400, error: "unsupported_grant_type"),
    ])
    func refusesAsKeycloakDoes(_ refusal: Refusal) async throws {
        try await withEmulator { _, endpoints in
            let answer = try await HTTPProbe(endpoints: endpoints).requestToken(
                clientID: refusal.clientID, secret: refusal.secret, grant: refusal.grant
            )
            #expect(answer.status == refusal.status)
            #expect(answer.json["error"] == .string(refusal.error))
            #expect(answer.json["access_token"] == nil)
        }
    }

    @Test func anUnknownRealmIsNotFound() async throws {
        try await withEmulator { _, endpoints in
            let probe = HTTPProbe(endpoints: endpoints)
            let form = Data("grant_type=client_credentials&client_id=chatbots&client_secret=chatbots-secret".utf8)
            let answer = try await probe.send(
                "POST", "/realms/elsewhere/protocol/openid-connect/token", body: form,
                contentType: "application/x-www-form-urlencoded"
            )
            #expect(answer.status == 404)
        }
    }

    @Test func acceptsHTTPBasicClientAuthentication() async throws {
        try await withEmulator { _, endpoints in
            let basic = Data("chatbots:chatbots-secret".utf8).base64EncodedString()
            let answer = try await HTTPProbe(endpoints: endpoints).send(
                "POST", endpoints.tokenURL, body: Data("grant_type=client_credentials".utf8),
                contentType: "application/x-www-form-urlencoded", headers: ["Authorization": "Basic \(basic)"]
            )
            #expect(answer.status == 200)
            #expect(answer.json["access_token"]?.stringValue != nil)
        }
    }
}
