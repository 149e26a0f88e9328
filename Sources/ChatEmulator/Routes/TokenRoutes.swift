import Foundation
import HTTPTypes
import Hummingbird

/// `POST /realms/{realm}/protocol/openid-connect/token`: the client-credentials grant,
/// answered as Keycloak answers it, errors included.
struct TokenRoutes {
    let core: EmulatorCore

    func add(to router: Router<EmulatorRequestContext>) {
        router.post("realms/:realm/protocol/openid-connect/token") { request, context in
            try await Task.sleep(for: core.faults.delay)
            if case .fail(let status, _) = core.faults.nextTokenVerdict() {
                let error = status == 401 ? "unauthorized_client" : "unknown_error"
                return Response.json(["error": error, "error_description": "injected failure"], status: status)
            }
            return try await issue(request: request, realm: context.parameters.get("realm") ?? "")
        }
    }

    private func issue(request: Request, realm: String) async throws -> Response {
        let configuration = core.configuration
        guard realm == configuration.realm else {
            return .json(["error": "Realm does not exist"], status: 404)
        }
        let form = FormBody.parse(String(buffer: try await request.collectBody(limit: 64 * 1024)))
        guard form["grant_type"] == "client_credentials" else {
            return .json(["error": "unsupported_grant_type", "error_description": "Unsupported grant_type"], status: 400)
        }
        let (clientID, secret) = credentials(form: form, request: request)
        guard clientID == configuration.clientID else {
            return .json(["error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"], status: 401)
        }
        guard secret == configuration.clientSecret else {
            return .json(["error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"], status: 401)
        }
        let (token, _) = core.tokens.issue()
        return .json(TokenAnswer(accessToken: token, expiresIn: core.tokens.lifetimeSeconds))
    }

    /// Client id and secret from the form, or from HTTP Basic authentication, which
    /// Keycloak accepts too.
    private func credentials(form: [String: String], request: Request) -> (String?, String?) {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))),
            let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            let id = String(pair[..<colon]).removingPercentEncoding
            let secret = String(pair[pair.index(after: colon)...]).removingPercentEncoding
            return (id, secret)
        }
        return (form["client_id"], form["client_secret"])
    }
}

/// Keycloak's token answer.
struct TokenAnswer: Encodable {
    let accessToken: String
    let expiresIn: Int
    let refreshExpiresIn = 0
    let tokenType = "Bearer"
    let notBeforePolicy = 0
    let scope = "profile email"

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
        case refreshExpiresIn = "refresh_expires_in"
        case tokenType = "token_type"
        case notBeforePolicy = "not-before-policy"
        case scope
    }
}
