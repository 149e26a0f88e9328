import Foundation

/// An HTTP request the runtime sends: an action, an alert, a token request.
public struct OutgoingRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: Data?
    /// How long the request may take, answer included; the transport's own default
    /// when `nil`.
    public var timeout: Duration?

    public init(method: String, url: String, headers: [String: String] = [:], body: Data? = nil, timeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// The answer to an ``OutgoingRequest``.
public struct IncomingResponse: Sendable, Equatable {
    public var status: Int
    /// Header values by lowercased name.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    /// The body as text, cut to `limit` characters, for logs and dead letters.
    public func bodyText(limit: Int = 500) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

/// Sends HTTP requests. One requirement, so a test fake is one method; the runtime
/// uses ``AsyncHTTPTransport``.
public protocol HTTPTransport: Sendable {
    /// Sends a request and returns the answer, whatever its status; throws only when no
    /// answer came (connection refused, timeout, ...).
    func perform(_ request: OutgoingRequest) async throws -> IncomingResponse
}
