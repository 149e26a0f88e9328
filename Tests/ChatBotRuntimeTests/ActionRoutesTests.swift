import ChatBotKit
import ChatBotRuntime
import Foundation
import Testing

@Suite("Action routes and retry timing", .timeLimit(.minutes(2)))
struct ActionRoutesTests {
    @Test func theDefaultRoutesArePROTOCOLPart3() throws {
        let routes = ActionRoutes()
        let send = try #require(routes.request(for: .sendMessage(chatID: "42", text: "hi \"you\""), baseURL: "https://chat.example/"))
        #expect(send.method == "POST")
        #expect(send.url == "https://chat.example/api/chats/42/messages/")
        #expect(try JSONDecoder().decode(JSONValue.self, from: send.body ?? Data()) == ["text": "hi \"you\"", "message_type": "text"])
        let status = try #require(routes.request(for: .changeStatus(chatID: "42", status: .closed), baseURL: "https://chat.example"))
        #expect(status.method == "PATCH")
        #expect(status.url == "https://chat.example/api/chats/42/")
        #expect(routes.request(for: .alert(Alert(text: "x")), baseURL: "https://chat.example") == nil)
    }

    @Test func everyPartOfARouteCanBeOverridden() throws {
        var routes = ActionRoutes()
        routes.assignCurator = .init(method: "PUT", path: "/v2/conversations/{chat_id}/owner", body: ["owner": "{curator_id}", "source": "bot"])
        let request = try #require(routes.request(for: .assignCurator(chatID: "a/b", curatorID: "7"), baseURL: "http://h"))
        #expect(request.method == "PUT")
        #expect(request.url == "http://h/v2/conversations/a%2Fb/owner", "ids are escaped inside the path")
        #expect(try JSONDecoder().decode(JSONValue.self, from: request.body ?? Data()) == ["owner": "7", "source": "bot"])
    }

    @Test func backoffGrowsIsCappedAndHonoursRetryAfter() {
        let policy = RetryPolicy(base: .seconds(1), cap: .seconds(30))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(policy.delay(afterAttempt: 0, retryAfter: nil, now: now, random: 1) == 1)
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, now: now, random: 1) == 8)
        #expect(policy.delay(afterAttempt: 20, retryAfter: nil, now: now, random: 1) == 30)
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, now: now, random: 0.25) == 2)
        #expect(policy.delay(afterAttempt: 0, retryAfter: "7", now: now, random: 1) == 7)
        let morning = Date(timeIntervalSince1970: 1_800_000_000)  // Fri, 15 Jan 2027 08:00:00 GMT
        #expect(policy.delay(afterAttempt: 0, retryAfter: "Fri, 15 Jan 2027 08:00:10 GMT", now: morning, random: 0) == 10)
        #expect(policy.delay(afterAttempt: 0, retryAfter: "soon", now: now, random: 1) == 1, "an unreadable Retry-After is ignored")
    }
}
