import ChatBotKit
import Foundation

/// Where and how each action is sent: method, path template and body template, per
/// action kind. The defaults are PROTOCOL.md Part 3; every part can be overridden in
/// the config file to meet the real backend without a code change.
///
/// Templates use `{chat_id}`, `{text}`, `{curator_id}`, `{status}` and
/// `{last_message_id}`. In a body template, a value that is exactly one placeholder is
/// replaced by the value; other strings are sent as they are.
@Configurable
public struct ActionRoutes: Sendable, Equatable {
    /// One route.
    @Configurable
    public struct Route: Sendable, Equatable {
        /// The HTTP method, in any case (`post` is sent as `POST`).
        public var method: String
        public var path: String
        public var body: [String: String] = [:]
    }

    /// A route given replaces its default whole.
    public var sendMessage: Route = Route(method: "POST", path: "/api/chats/{chat_id}/messages/", body: ["text": "{text}", "message_type": "text"])
    public var assignCurator: Route = Route(method: "POST", path: "/api/chats/{chat_id}/assign/", body: ["curator_id": "{curator_id}"])
    public var changeStatus: Route = Route(method: "PATCH", path: "/api/chats/{chat_id}/", body: ["status": "{status}"])
    public var markRead: Route = Route(method: "POST", path: "/api/chats/{chat_id}/read/", body: ["last_message_id": "{last_message_id}"])

    /// The HTTP request for a chat action, relative to `baseURL`; `nil` for alerts,
    /// which go to the alert sink instead.
    public func request(for action: BotAction, baseURL: String) -> OutgoingRequest? {
        let route: Route
        let values: [String: String]
        switch action {
        case .sendMessage(let chat, let text):
            route = sendMessage
            values = ["chat_id": chat.rawValue, "text": text]
        case .assignCurator(let chat, let curator):
            route = assignCurator
            values = ["chat_id": chat.rawValue, "curator_id": curator.rawValue]
        case .changeStatus(let chat, let status):
            route = changeStatus
            values = ["chat_id": chat.rawValue, "status": status.wireValue]
        case .markRead(let chat, let message):
            route = markRead
            values = ["chat_id": chat.rawValue, "last_message_id": message.rawValue]
        case .alert:
            return nil
        }
        let path = Self.fill(route.path, with: values.mapValues { Self.escapePathSegment($0) })
        var body: [String: String] = [:]
        for (field, template) in route.body {
            body[field] = Self.fill(template, with: values)
        }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return OutgoingRequest(
            method: route.method.uppercased(), url: Self.join(baseURL, path), headers: ["Content-Type": "application/json"], body: data)
    }

    static func fill(_ template: String, with values: [String: String]) -> String {
        var result = template
        for (name, value) in values {
            result = result.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return result
    }

    static func escapePathSegment(_ value: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    private static func join(_ base: String, _ path: String) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return path.hasPrefix("/") ? trimmed + path : trimmed + "/" + path
    }
}
