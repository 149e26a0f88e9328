/// Gives the access token for the WebSocket and the action routes.
public protocol TokenProvider: Sendable {
    /// A token believed valid now: cached, or freshly fetched.
    func token() async throws -> String
    /// Forgets the cached token after the backend refused it (401, 403, close 4001...),
    /// so the next ``token()`` fetches a new one.
    func invalidate() async
}

/// A fixed token, for development: read from an environment variable.
public struct StaticTokenProvider: TokenProvider {
    private let value: String

    public init(token: String) {
        value = token
    }

    public func token() async throws -> String {
        value
    }

    public func invalidate() async {}
}
