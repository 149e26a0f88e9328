import Foundation

/// Builds the socket URL with its token, checks its security, and writes it for logs
/// with the token redacted.
enum SocketURL {
    /// Why a server URL cannot be used.
    enum Problem: Error, CustomStringConvertible, Equatable {
        case notAWebSocketURL(String)
        case insecureRemote(host: String)

        var description: String {
            switch self {
            case .notAWebSocketURL(let url):
                "\"\(url)\" is not a ws:// or wss:// URL"
            case .insecureRemote(let host):
                "ws:// to \(host) would send the token unencrypted; use wss://, or set allow_insecure to true if this network is trusted"
            }
        }
    }

    /// Checks that `serverURL` is a WebSocket URL, and that plain `ws://` goes only to
    /// loopback unless explicitly allowed.
    static func validate(_ serverURL: String, allowsInsecureRemote: Bool) throws(Problem) {
        guard let components = URLComponents(string: serverURL), let scheme = components.scheme?.lowercased(),
            scheme == "ws" || scheme == "wss", let host = components.host, !host.isEmpty
        else { throw .notAWebSocketURL(serverURL) }
        if scheme == "ws", !allowsInsecureRemote, !isLoopback(host) {
            throw .insecureRemote(host: host)
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// The URL to connect to, with the token percent-encoded in its query.
    static func make(serverURL: String, path: String, token: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = token.addingPercentEncoding(withAllowedCharacters: allowed) ?? token
        let base = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        let joined = path.hasPrefix("/") ? base + path : base + "/" + path
        return joined + (joined.contains("?") ? "&" : "?") + "token=" + encoded
    }

    /// `url` with the value of every `token` query item replaced, for logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), let items = components.queryItems else { return url }
        components.queryItems = items.map { $0.name.lowercased() == "token" ? URLQueryItem(name: $0.name, value: "REDACTED") : $0 }
        return components.string ?? url
    }
}
