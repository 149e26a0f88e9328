import ChatBotKit
import Foundation
import Logging

/// Tokens from Keycloak's client-credentials grant, cached and renewed before they
/// expire.
///
/// Concurrent callers share one request. After a failure, further requests wait out a
/// growing backoff, and callers in between get the last error at once, so a Keycloak
/// outage is not hammered. Errors name the client id and the token URL, never the
/// secret.
public actor KeycloakTokenProvider: TokenProvider {
    /// Where and as whom to sign in.
    public struct Configuration: Sendable {
        /// `{keycloak_url}/realms/{realm}/protocol/openid-connect/token`.
        public var tokenURL: String
        public var clientID: String
        public var clientSecret: Secret
        /// Renew this long before the token expires (at most half its lifetime).
        public var renewalMargin: Duration
        public var retry: RetryPolicy

        public init(
            tokenURL: String, clientID: String, clientSecret: Secret,
            renewalMargin: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy(base: .seconds(1), cap: .seconds(60))
        ) {
            self.tokenURL = tokenURL
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.renewalMargin = renewalMargin
            self.retry = retry
        }
    }

    private struct Cached {
        let token: String
        let renewAt: Date
    }

    private let configuration: Configuration
    private let transport: any HTTPTransport
    private let clock: any EngineClock
    private let logger: Logger
    private var cached: Cached?
    private var inFlight: Task<Cached, any Error>?
    private var failures = 0
    private var lastFailure: (error: any Error, retryAt: Date)?

    public init(
        configuration: Configuration, transport: any HTTPTransport = AsyncHTTPTransport(), clock: any EngineClock = SystemClock(), logger: Logger
    ) {
        self.configuration = configuration
        self.transport = transport
        self.clock = clock
        self.logger = logger
    }

    public func token() async throws -> String {
        if let cached, clock.now() < cached.renewAt {
            return cached.token
        }
        if let lastFailure, clock.now() < lastFailure.retryAt {
            throw lastFailure.error
        }
        let task = inFlight ?? Task { try await self.fetch() }
        inFlight = task
        defer { inFlight = nil }
        do {
            let fresh = try await task.value
            cached = fresh
            failures = 0
            lastFailure = nil
            return fresh.token
        } catch {
            let delay = configuration.retry.delay(afterAttempt: failures, retryAfter: nil, now: clock.now(), random: 1)
            failures += 1
            lastFailure = (error, clock.now().addingTimeInterval(delay))
            throw error
        }
    }

    public func invalidate() {
        cached = nil
    }

    private func fetch() async throws -> Cached {
        let form = [
            ("grant_type", "client_credentials"), ("client_id", configuration.clientID),
            ("client_secret", configuration.clientSecret.value),
        ].map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&")
        let request = OutgoingRequest(
            method: "POST", url: configuration.tokenURL,
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(form.utf8)
        )
        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            throw TokenError.unreachable(tokenURL: configuration.tokenURL, reason: "\(error)")
        }
        guard response.status == 200 else {
            let json = try? JSONDecoder().decode(JSONValue.self, from: response.body)
            let error = json?["error"]?.stringValue ?? "HTTP \(response.status)"
            if response.status == 400 || response.status == 401 || response.status == 403 {
                throw TokenError.refused(clientID: configuration.clientID, tokenURL: configuration.tokenURL, status: response.status, error: error)
            }
            throw TokenError.unavailable(tokenURL: configuration.tokenURL, status: response.status)
        }
        guard let answer = try? JSONDecoder().decode(JSONValue.self, from: response.body),
            let token = answer["access_token"]?.stringValue, !token.isEmpty
        else {
            throw TokenError.malformedAnswer(tokenURL: configuration.tokenURL)
        }
        let lifetime: Double
        switch answer["expires_in"] {
        case .integer(let seconds): lifetime = Double(seconds)
        case .double(let seconds): lifetime = seconds
        default: lifetime = 60
        }
        let margin = min(configuration.renewalMargin.timeInterval, lifetime / 2)
        logger.debug("token obtained", metadata: ["auth.client_id": "\(configuration.clientID)", "auth.expires_in": "\(Int(lifetime))"])
        return Cached(token: token, renewAt: clock.now().addingTimeInterval(lifetime - margin))
    }

    private static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// Why no token could be had.
public enum TokenError: Error, CustomStringConvertible, Equatable {
    /// Keycloak refused the client: wrong client id or secret, or the grant is not
    /// enabled for it.
    case refused(clientID: String, tokenURL: String, status: Int, error: String)
    /// Keycloak answered with an error status other than a refusal.
    case unavailable(tokenURL: String, status: Int)
    /// No answer: connection refused, timeout, DNS.
    case unreachable(tokenURL: String, reason: String)
    /// An answer without an access token.
    case malformedAnswer(tokenURL: String)

    public var description: String {
        switch self {
        case .refused(let clientID, let url, let status, let error):
            "Keycloak at \(url) refused client \"\(clientID)\" (HTTP \(status), \(error)): check the client id and secret, and that the client-credentials grant is enabled"
        case .unavailable(let url, let status):
            "Keycloak at \(url) answered HTTP \(status); will retry"
        case .unreachable(let url, let reason):
            "Keycloak at \(url) is unreachable (\(reason)); will retry"
        case .malformedAnswer(let url):
            "Keycloak at \(url) answered without an access_token"
        }
    }
}
