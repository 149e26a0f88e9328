import ChatBotKit
import Foundation
import Synchronization

/// Issues and checks the emulator's access tokens.
///
/// Tokens are JWTs with `sub`, `iat`, `exp` and `jti`, shaped like Keycloak's. They are
/// unsigned (`alg: none`): a client only passes them along, and the emulator trusts
/// just the tokens it issued itself, which it remembers by `jti`. A restarted emulator
/// therefore refuses old tokens, as a Keycloak with rotated keys would.
final class TokenIssuer: Sendable {
    /// A token the emulator issued.
    struct Grant: Sendable {
        let subject: String
        let expiresAt: Date
    }

    /// Why a token was refused.
    enum Refusal: Error, Equatable {
        case missing
        case unknown
        case expired
    }

    private let subject: String
    private let lifetime: Duration
    private let issued = Mutex<[String: Grant]>([:])

    init(subject: String, lifetime: Duration) {
        self.subject = subject
        self.lifetime = lifetime
    }

    /// The lifetime in whole seconds, as `expires_in` reports it.
    var lifetimeSeconds: Int {
        Int(lifetime.components.seconds)
    }

    /// Issues a new token.
    func issue(now: Date = Date()) -> (token: String, grant: Grant) {
        let id = UUID().uuidString.lowercased()
        let grant = Grant(subject: subject, expiresAt: now.addingTimeInterval(lifetime.timeInterval))
        issued.withLock { $0[id] = grant }
        let header = #"{"alg":"none","typ":"JWT"}"#
        let claims =
            #"{"sub":"\#(subject)","iat":\#(Int(now.timeIntervalSince1970)),"exp":\#(Int(grant.expiresAt.timeIntervalSince1970)),"jti":"\#(id)","azp":"chatbots","typ":"Bearer"}"#
        return ([header, claims].map { Self.base64URL(Data($0.utf8)) }.joined(separator: ".") + ".", grant)
    }

    /// Checks a token: issued here, and not expired.
    func validate(_ token: String?, now: Date = Date()) -> Result<Grant, Refusal> {
        guard let token, !token.isEmpty else { return .failure(.missing) }
        guard let id = Self.tokenID(of: token), let grant = issued.withLock({ $0[id] }) else {
            return .failure(.unknown)
        }
        return grant.expiresAt > now ? .success(grant) : .failure(.expired)
    }

    /// Forgets every token issued so far: each one is refused from now on.
    func revokeAll() {
        issued.withLock { $0.removeAll() }
    }

    private static func tokenID(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let claims = decodeBase64URL(String(parts[1])),
            let object = try? JSONSerialization.jsonObject(with: claims) as? [String: Any]
        else { return nil }
        return object["jti"] as? String
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decodeBase64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
