import ChatBotKit
import ChatEmulator
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A plain HTTP client for tests: real requests over loopback.
struct HTTPProbe: Sendable {
    let endpoints: EmulatorEndpoints

    struct Answer: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        var json: JSONValue {
            (try? JSONDecoder().decode(JSONValue.self, from: body)) ?? .null
        }

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    func send(
        _ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json",
        headers: [String: String] = [:]
    ) async throws -> Answer {
        let url = try #require(URL(string: path.hasPrefix("http") ? path : endpoints.base + path))
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name] = value }
        }
        return Answer(status: http.statusCode, headers: fields, body: data)
    }

    func json(_ method: String, _ path: String, _ body: JSONValue, token: String?, idempotencyKey: String? = nil) async throws -> Answer {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        return try await send(method, path, body: try JSONEncoder().encode(body), headers: headers)
    }

    /// Requests a token with the client-credentials grant.
    func requestToken(clientID: String? = nil, secret: String? = nil, grant: String = "client_credentials") async throws -> Answer {
        let configuration = endpoints.configuration
        let form = "grant_type=\(grant)&client_id=\(clientID ?? configuration.clientID)&client_secret=\(secret ?? configuration.clientSecret)"
        return try await send("POST", endpoints.tokenURL, body: Data(form.utf8), contentType: "application/x-www-form-urlencoded")
    }

    /// A valid access token.
    func token() async throws -> String {
        let answer = try await requestToken()
        return try #require(answer.json["access_token"]?.stringValue, "no token: \(String(decoding: answer.body, as: UTF8.self))")
    }
}
