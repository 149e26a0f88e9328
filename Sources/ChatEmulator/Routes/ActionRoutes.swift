import ChatBotKit
import Foundation
import HTTPTypes
import Hummingbird

/// The action API of PROTOCOL.md Part 3: what a runtime calls to act.
///
/// Each action is authenticated with the bearer token, may be failed by a fault knob,
/// honours `Idempotency-Key` (a repeat is answered again, not applied twice), is
/// applied to the world, broadcast as the matching event, and recorded.
struct ActionRoutes {
    let core: EmulatorCore

    /// What an action did to the world: the answer and the events to broadcast.
    typealias Effect = (answer: EmulatorCore.StoredAnswer, events: [ChatEvent])
    /// One action: the world, the chat of the path, the JSON body, the caller's user id.
    typealias Apply = @Sendable (inout BackendWorld, ChatID, JSONValue, UserID) -> Effect

    func add(to router: Router<EmulatorRequestContext>) {
        router.post("api/chats/:chat_id/messages") { request, context in
            try await perform(request, context, apply: Self.sendMessage)
        }
        router.post("api/chats/:chat_id/assign") { request, context in
            try await perform(request, context, apply: Self.assignCurator)
        }
        router.patch("api/chats/:chat_id") { request, context in
            try await perform(request, context, apply: Self.changeStatus)
        }
        router.post("api/chats/:chat_id/read") { request, context in
            try await perform(request, context, apply: Self.markRead)
        }
        router.get("api/chats/:chat_id") { request, context in
            try await details(request, chatID: ChatID(context.parameters.get("chat_id") ?? ""))
        }
        router.get("api/curators") { request, _ in
            try await curators(request)
        }
        router.get("api/chats") { request, _ in
            try await openChats(request)
        }
    }

    private func perform(_ request: Request, _ context: EmulatorRequestContext, apply: Apply) async throws -> Response {
        let response = try await answer(request, context, apply: apply)
        if (200..<300).contains(response.status.code), core.faults.takeLostAnswer() {
            // Applied (or replayed), but the caller never hears it: the connection ends.
            try? await context.channel.close()
            throw CancellationError()
        }
        return response
    }

    private func answer(_ request: Request, _ context: EmulatorRequestContext, apply: Apply) async throws -> Response {
        try await Task.sleep(for: core.faults.delay)
        let body = try await request.collectBody().jsonValue
        let key = request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value
        let record = { (status: Int, outcome: RecordedAction.Outcome) in
            core.recorder.recordAction(
                method: request.method.rawValue, path: request.uri.path, idempotencyKey: key,
                body: body, status: status, outcome: outcome
            )
        }
        guard case .success(let grant) = core.tokens.validate(request.bearerToken) else {
            record(401, .refused)
            return .detail("Given token not valid for any token type", status: 401)
        }
        if let key, let stored = core.storedAnswer(for: key) {
            record(stored.status, .replayed)
            return .json(stored.body, status: stored.status, headers: Self.replayedHeader)
        }
        let chatID = ChatID(context.parameters.get("chat_id") ?? "")
        if let retryAfter = core.faults.throttle(chat: chatID.rawValue) {
            record(429, .injectedFailure)
            var headers = HTTPFields()
            headers[.retryAfter] = "\(retryAfter)"
            return .detail("Request was throttled.", status: 429, headers: headers)
        }
        if case .fail(let status, let retryAfter) = core.faults.nextActionVerdict() {
            record(status, .injectedFailure)
            var headers = HTTPFields()
            if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
            return .detail("injected failure", status: status, headers: headers)
        }
        let caller = UserID(grant.subject)
        let (answer, replayed) = core.applyOnce(key: key) { world in
            let effect = apply(&world, chatID, body, caller)
            return (effect.answer, effect.events)
        }
        let applied = (200..<300).contains(answer.status)
        record(answer.status, replayed ? .replayed : applied ? .applied : .refused)
        return .json(answer.body, status: answer.status, headers: replayed ? Self.replayedHeader : [:])
    }

    private static var replayedHeader: HTTPFields {
        var headers = HTTPFields()
        if let name = HTTPField.Name("Idempotent-Replayed") { headers[name] = "true" }
        return headers
    }

    // MARK: - The actions

    private static let sendMessage: Apply = { world, chatID, body, caller in
        guard case .object = body else { return invalidBody }
        let type = MessageType(wireValue: body["message_type"].flatMap(\.stringValue) ?? "text")
        let text = body["text"].flatMap(\.stringValue)
        if type == .text, text == nil {
            return required("text")
        }
        guard let event = world.postMessage(in: chatID, from: caller, text: text, type: type),
            case .newMessage(let message) = event
        else { return notFound }
        let created = message.createdAt.map { JSONValue.string(WireTimestamp.format($0)) } ?? .null
        let answer: JSONValue = .object([
            "id": .string(message.id.rawValue), "sender": .string(caller.rawValue), "chat_id": .string(chatID.rawValue),
            "text": text.map(JSONValue.string) ?? .null, "message_type": .string(type.wireValue), "created_at": created,
        ])
        return (.init(status: 201, body: answer), [event])
    }

    private static let assignCurator: Apply = { world, chatID, body, _ in
        guard let curator = body["curator_id"]?.textValue else { return required("curator_id") }
        guard let event = world.assign(UserID(curator), to: chatID) else { return notFound }
        return (.init(status: 200, body: .object(["chat_id": .string(chatID.rawValue), "curator_id": .string(curator)])), [event])
    }

    private static let changeStatus: Apply = { world, chatID, body, _ in
        guard let status = body["status"].flatMap(\.stringValue) else { return required("status") }
        guard let event = world.setStatus(ChatStatus(wireValue: status), of: chatID) else { return notFound }
        return (.init(status: 200, body: .object(["id": .string(chatID.rawValue), "status": .string(status)])), [event])
    }

    private static let markRead: Apply = { world, chatID, body, caller in
        guard let last = body["last_message_id"]?.textValue else { return required("last_message_id") }
        guard let event = world.read(chatID, upTo: MessageID(last), by: caller) else { return notFound }
        return (.init(status: 200, body: .object(["chat_id": .string(chatID.rawValue), "last_message_id": .string(last)])), [event])
    }

    private static let notFound: Effect = (.init(status: 404, body: .object(["detail": "Not found."])), [])
    private static let invalidBody: Effect = (.init(status: 400, body: .object(["detail": "JSON parse error - expected an object"])), [])

    private static func required(_ field: String) -> Effect {
        (.init(status: 400, body: .object([field: .array(["This field is required."])])), [])
    }

    // MARK: - Reads

    private func details(_ request: Request, chatID: ChatID) async throws -> Response {
        try await Task.sleep(for: core.faults.delay)
        guard case .success = core.tokens.validate(request.bearerToken) else {
            return .detail("Given token not valid for any token type", status: 401)
        }
        guard let chat = core.read({ $0.chats[chatID] }) else { return .detail("Not found.", status: 404) }
        return .json(
            JSONValue.object([
                "id": .string(chat.id.rawValue), "user_id": .string(chat.clientID.rawValue),
                "chat_type": .string(chat.type.wireValue), "status": .string(chat.status.wireValue),
                "topic": chat.topic.map(JSONValue.string) ?? .null,
                "curator_id": chat.curatorID.map { .string($0.rawValue) } ?? .null,
            ]))
    }

    /// `GET /api/chats/?status=open&page=N[&page_size=M]`: the chats still open, oldest
    /// first, a page at a time (50 by default), DRF-style: `{"count", "next",
    /// "previous", "results"}`; each chat with its latest messages and who read them.
    private func openChats(_ request: Request) async throws -> Response {
        try await Task.sleep(for: core.faults.delay)
        guard case .success = core.tokens.validate(request.bearerToken) else {
            return .detail("Given token not valid for any token type", status: 401)
        }
        let query = request.uri.queryParameters
        guard query["status"].map(String.init) == "open" else {
            return .detail("Only status=open is listed here.", status: 400)
        }
        let page = min(query["page"].flatMap { Int(String($0)) } ?? 1, 1_000_000)
        let size = min(max(query["page_size"].flatMap { Int(String($0)) } ?? 50, 1), 1_000)
        let (chats, total) = core.read { $0.openChats(page: page, size: size) }
        guard page >= 1, chats.count > 0 || page == 1 else { return .detail("Invalid page.", status: 404) }
        let next: JSONValue = page * size < total ? .string("/api/chats/?status=open&page=\(page + 1)&page_size=\(size)") : .null
        return .json(
            JSONValue.object([
                "count": .integer(Int64(total)), "next": next,
                "previous": page > 1 ? .string("/api/chats/?status=open&page=\(page - 1)&page_size=\(size)") : .null,
                "results": .array(chats.map(Self.listed)),
            ]))
    }

    private static func listed(_ chat: BackendWorld.Chat) -> JSONValue {
        .object([
            "id": .string(chat.id.rawValue), "user_id": .string(chat.clientID.rawValue), "chat_type": .string(chat.type.wireValue),
            "status": .string(chat.status.wireValue), "topic": chat.topic.map(JSONValue.string) ?? .null,
            "curator_id": chat.curatorID.map { .string($0.rawValue) } ?? .null,
            "messages": .array(
                chat.messages.map { message in
                    .object([
                        "id": .string(message.id.rawValue), "sender": .string(message.senderID.rawValue),
                        "message_type": .string(message.type.wireValue),
                        "created_at": .string(message.createdAt.formatted(.iso8601)),
                        "read_by": .array(chat.readUpTo.filter { $0.value >= message.number }.keys.sorted().map { .string($0.rawValue) }),
                    ])
                }),
        ])
    }

    private func curators(_ request: Request) async throws -> Response {
        try await Task.sleep(for: core.faults.delay)
        guard case .success = core.tokens.validate(request.bearerToken) else {
            return .detail("Given token not valid for any token type", status: 401)
        }
        let list = core.read { world in
            world.curators.values.sorted { $0.id < $1.id }.map { curator in
                JSONValue.object([
                    "id": .string(curator.id.rawValue),
                    "topics": .array(curator.topics.map(JSONValue.string)),
                    "online": .bool(curator.isOnline),
                ])
            }
        }
        return .json(JSONValue.array(list))
    }
}
