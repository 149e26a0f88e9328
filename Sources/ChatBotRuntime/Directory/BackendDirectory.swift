import ChatBotKit
import Foundation
import Logging

/// Asks the backend's optional routes what events do not say: the curator directory
/// (curators and their topics) and a new chat's topic.
///
/// Answers are read tolerantly, as events are: ids as strings or numbers, a bare list or
/// a paginated `{"results": [...]}`, unknown fields ignored. A curator's `online`, where
/// a backend adds it, fills in presence that no event has told yet.
public final class BackendDirectory: ChatDetailsSource {
    private let apiBaseURL: String
    let section: DirectorySection
    private let transport: any HTTPTransport
    private let tokens: any TokenProvider
    private let logger: Logger

    public init(apiBaseURL: String, section: DirectorySection, transport: any HTTPTransport, tokens: any TokenProvider, logger: Logger) {
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
        self.section = section
        self.transport = transport
        self.tokens = tokens
        self.logger = logger
    }

    /// Why the directory could not be read.
    public struct Failure: Error, CustomStringConvertible {
        public let url: String
        public let reason: String
        /// Which route: `curator directory`, `open chats`.
        public var route = "curator directory"
        public var description: String { "\(route) at \(url): \(reason)" }
    }

    /// The curator directory; throws ``Failure`` naming the URL when it cannot be read.
    public func curators() async throws -> [DirectoryEntry] {
        guard let path = section.curatorsPath else { return [] }
        let url = apiBaseURL + path
        let body = try await get(url)
        let list: [JSONValue]
        switch body {
        case .array(let items): list = items
        case .object(let object):
            guard case .array(let items)? = object["results"] else { throw Failure(url: url, reason: "expected a list of curators") }
            list = items
        default: throw Failure(url: url, reason: "expected a list of curators")
        }
        return list.compactMap { item in
            guard let id = item["id"]?.textValue else { return nil }
            let topics: Set<String>? =
                switch item["topics"] {
                case .array(let values)?: Set(values.compactMap(\.textValue))
                default: nil
                }
            let online: Bool? =
                switch item["online"] {
                case .bool(let value)?: value
                default: nil
                }
            return DirectoryEntry(curatorID: UserID(id), topics: topics, online: online)
        }
    }

    public func topic(of chat: ChatID) async -> String? {
        await details(of: chat)?.topic
    }

    /// The chat-details route's answer (PROTOCOL.md Part 3: `user_id`, `chat_type`,
    /// `status`, `topic`, `curator_id`); `nil`, logged, when it cannot be read.
    public func details(of chat: ChatID) async -> ChatDetails? {
        guard let template = section.chatDetailsPath else { return nil }
        let url = apiBaseURL + ActionRoutes.fill(template, with: ["chat_id": ActionRoutes.escapePathSegment(chat.rawValue)])
        do {
            return ChatDetails(described: try await get(url))
        } catch {
            logger.warning(
                "chat details not read; bots see the chat without what they would say",
                metadata: [
                    "chat.id": "\(chat)", "error": "\(error)",
                ])
            return nil
        }
    }

    /// The chats still open, every page of the open-chats route; `nil` when no route is
    /// configured. Throws ``Failure`` naming the URL of a page that cannot be read.
    ///
    /// Pages are followed by the answer's `next` (a URL or a path) when it has one, else
    /// by `page=N+1` until a page comes back empty (or as 404, past the last); at most
    /// ``maxOpenChatPages``.
    public func openChats() async throws -> [OpenChat]? {
        guard let path = section.openChatsPath else { return nil }
        var chats: [OpenChat] = []
        var seen: Set<ChatID> = []
        var page = 1
        var url = Self.withPage(apiBaseURL + path, page)
        while page <= Self.maxOpenChatPages {
            let body: JSONValue
            do {
                body = try await get(url)
            } catch var failure as Failure {
                // Past the last page, a paginated route answers 404.
                if page > 1, failure.reason.hasPrefix("HTTP 404") { break }
                failure.route = "open chats"
                throw failure
            }
            let items: [JSONValue]
            switch body {
            case .array(let list): items = list
            case .object(let object):
                guard case .array(let list)? = object["results"] else {
                    throw Failure(url: url, reason: "expected a list of chats", route: "open chats")
                }
                items = list
            default: throw Failure(url: url, reason: "expected a list of chats", route: "open chats")
            }
            // A chat that moved between pages while they were read is listed once.
            let before = chats.count
            for chat in items.compactMap(OpenChat.init(listed:)) where seen.insert(chat.id).inserted {
                chats.append(chat)
            }
            // A route that ignores `page` answers the same page again: nothing new, done.
            if chats.count == before { break }
            if case .string(let next)? = body["next"] {
                // Followed only on the backend's own origin: the token goes with it.
                let absolute = next.hasPrefix("http") ? next : apiBaseURL + (next.hasPrefix("/") ? next : "/" + next)
                guard absolute.hasPrefix(apiBaseURL + "/") else {
                    throw Failure(url: url, reason: "its next page is on another host (\(next)); not followed", route: "open chats")
                }
                url = absolute
            } else if body["next"] != nil {
                break
            } else {
                url = Self.withPage(apiBaseURL + path, page + 1)
            }
            page += 1
        }
        if page > Self.maxOpenChatPages {
            logger.warning(
                "open chats: stopped after the most pages read at once; the rest are not caught up",
                metadata: [
                    "pages": "\(Self.maxOpenChatPages)", "chats": "\(chats.count)",
                ])
        }
        return chats
    }

    /// Pages read at most: 50 chats a page is half a million chats.
    static let maxOpenChatPages = 10_000

    private static func withPage(_ url: String, _ page: Int) -> String {
        url + (url.contains("?") ? "&" : "?") + "page=\(page)"
    }

    private func get(_ url: String) async throws -> JSONValue {
        var request = OutgoingRequest(method: "GET", url: url)
        request.headers["Authorization"] = "Bearer \(try await tokens.token())"
        request.headers["Accept"] = "application/json"
        let response = try await transport.perform(request)
        if response.status == 401 || response.status == 403 { await tokens.invalidate() }
        guard (200..<300).contains(response.status) else {
            throw Failure(url: url, reason: "HTTP \(response.status): \(response.bodyText(limit: 200))")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: response.body)
        } catch {
            throw Failure(url: url, reason: "not JSON: \(response.bodyText(limit: 200))")
        }
    }
}
