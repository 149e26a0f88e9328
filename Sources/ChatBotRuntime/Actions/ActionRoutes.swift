import ChatBotKit
import Foundation

/// Where and how each action is sent: method, path template and body template, per
/// action kind. The defaults are PROTOCOL.md Part 3; every part can be overridden in
/// the config file to meet the real backend without a code change.
///
/// Templates use `{chat_id}`, `{text}`, `{curator_id}`, `{status}` and
/// `{last_message_id}`. In a body template, a value that is exactly one placeholder is
/// replaced by the value; other strings are sent as they are.
public struct ActionRoutes: Codable, Sendable, Equatable {
    /// One route.
    public struct Route: Codable, Sendable, Equatable {
        public var method: String
        public var path: String
        public var body: [String: String]

        public init(method: String, path: String, body: [String: String]) {
            self.method = method
            self.path = path
            self.body = body
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case method, path, body
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            method = try container.decode(String.self, forKey: .method).uppercased()
            path = try container.decode(String.self, forKey: .path)
            body = try container.decodeIfPresent([String: String].self, forKey: .body) ?? [:]
        }
    }

    public var sendMessage: Route
    public var assignCurator: Route
    public var changeStatus: Route
    public var markRead: Route

    public init(
        sendMessage: Route = Route(method: "POST", path: "/api/chats/{chat_id}/messages/", body: ["text": "{text}", "message_type": "text"]),
        assignCurator: Route = Route(method: "POST", path: "/api/chats/{chat_id}/assign/", body: ["curator_id": "{curator_id}"]),
        changeStatus: Route = Route(method: "PATCH", path: "/api/chats/{chat_id}/", body: ["status": "{status}"]),
        markRead: Route = Route(method: "POST", path: "/api/chats/{chat_id}/read/", body: ["last_message_id": "{last_message_id}"])
    ) {
        self.sendMessage = sendMessage
        self.assignCurator = assignCurator
        self.changeStatus = changeStatus
        self.markRead = markRead
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sendMessage = "send_message"
        case assignCurator = "assign_curator"
        case changeStatus = "change_status"
        case markRead = "mark_read"
    }

    /// Reads overrides: a route not given keeps its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ActionRoutes()
        sendMessage = try container.decodeIfPresent(Route.self, forKey: .sendMessage) ?? defaults.sendMessage
        assignCurator = try container.decodeIfPresent(Route.self, forKey: .assignCurator) ?? defaults.assignCurator
        changeStatus = try container.decodeIfPresent(Route.self, forKey: .changeStatus) ?? defaults.changeStatus
        markRead = try container.decodeIfPresent(Route.self, forKey: .markRead) ?? defaults.markRead
    }

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
        return OutgoingRequest(method: route.method, url: Self.join(baseURL, path), headers: ["Content-Type": "application/json"], body: data)
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
