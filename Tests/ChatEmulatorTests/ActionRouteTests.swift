import ChatBotKit
import ChatEmulator
import Foundation
import Testing

@Suite("The action routes of PROTOCOL.md Part 3", .timeLimit(.minutes(2)))
struct ActionRouteTests {
    @Test func aSentMessageIsAppliedAndComesBackAsNewMessageFromTheServiceAccount() async throws {
        try await withEmulator { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            let chat = emulator.openChat(client: "client-1")
            let answer = try await http.json(
                "POST", "/api/chats/\(chat)/messages/", ["text": "Hello from a bot", "message_type": "text"], token: token
            )
            #expect(answer.status == 201)
            let frames = try await socket.texts(through: "Hello from a bot")
            guard case .newMessage(let message) = try FrameDecoder().decode(text: frames.last ?? "").get() else {
                Issue.record("expected new_message, got \(frames)")
                return
            }
            #expect(message.senderID == "1000")
            #expect(message.chatID == chat)
            #expect(emulator.record.appliedActions.map(\.path) == ["/api/chats/\(chat)/messages/"])
        }
    }

    @Test func assignStatusAndReadAreAppliedAndBroadcast() async throws {
        try await withEmulator { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            let chat = emulator.openChat(client: "client-2", type: .topic, topic: "billing")
            #expect(try await http.json("POST", "/api/chats/\(chat)/assign/", ["curator_id": "curator-1"], token: token).status == 200)
            #expect(try await http.json("POST", "/api/chats/\(chat)/read/", ["last_message_id": 5], token: token).status == 200)
            #expect(try await http.json("PATCH", "/api/chats/\(chat)/", ["status": "closed"], token: token).status == 200)
            var events: [ChatEvent] = []
            while events.count < 4 {
                events.append(try FrameDecoder().decode(text: try await socket.nextText()).get())
            }
            #expect(
                events == [
                    .newChat(.init(clientID: "client-2", chatID: chat, chatType: .topic)),
                    .assignCurator(.init(chatID: chat, curatorID: "curator-1")),
                    .readChatMessage(.init(chatID: chat, lastMessageID: "5", readerID: "1000")),
                    .updateChatStatus(.init(chatID: chat, status: .closed)),
                ])
            let details = try await http.send("GET", "/api/chats/\(chat)/", headers: ["Authorization": "Bearer \(token)"])
            #expect(details.json["curator_id"] == "curator-1")
            #expect(details.json["status"] == "closed")
            #expect(details.json["topic"] == "billing")
            #expect(details.json["user_id"] == "client-2")
        }
    }

    @Test func aRepeatedIdempotencyKeyIsAnsweredAgainNotAppliedTwice() async throws {
        try await withEmulator { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            let chat = emulator.openChat(client: "client-3")
            let body: JSONValue = ["text": "only once"]
            let first = try await http.json("POST", "/api/chats/\(chat)/messages/", body, token: token, idempotencyKey: "key-1")
            let second = try await http.json("POST", "/api/chats/\(chat)/messages/", body, token: token, idempotencyKey: "key-1")
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(second.json == first.json)
            #expect(second.header("Idempotent-Replayed") == "true")
            emulator.send(rawFrame: #"{"event_type": "marker"}"#)
            let frames = try await socket.texts(through: "marker")
            #expect(frames.filter { $0.contains("only once") }.count == 1)
            #expect(emulator.record.actions.map(\.outcome) == [.applied, .replayed])
        }
    }

    @Test func badRequestsAreRefusedWithAReasonAndNotApplied() async throws {
        try await withEmulator { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            let chat = emulator.openChat(client: "client-4")
            let unauthenticated = try await http.json("POST", "/api/chats/\(chat)/messages/", ["text": "x"], token: "forged")
            #expect(unauthenticated.status == 401)
            let unknownChat = try await http.json("POST", "/api/chats/99999/messages/", ["text": "x"], token: token)
            #expect(unknownChat.status == 404)
            let missingField = try await http.json("POST", "/api/chats/\(chat)/assign/", ["curator": "x"], token: token)
            #expect(missingField.status == 400)
            #expect(missingField.json["curator_id"] == .array(["This field is required."]))
            #expect(emulator.record.actions.map(\.outcome) == [.refused, .refused, .refused])
            #expect(emulator.record.appliedActions.isEmpty)
        }
    }

    @Test func theCuratorDirectoryListsCuratorsWithTopics() async throws {
        try await withEmulator { _, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            let answer = try await http.send("GET", "/api/curators/", headers: ["Authorization": "Bearer \(token)"])
            guard case .array(let curators) = answer.json else {
                Issue.record("expected a list, got \(answer.json)")
                return
            }
            #expect(curators.count == EmulatorConfiguration.WorldSize().curators)
            #expect(curators.allSatisfy { $0["id"]?.stringValue != nil && $0["topics"] != nil })
        }
    }

    @Test func theWebhookSinkRecordsAlerts() async throws {
        try await withEmulator { emulator, endpoints in
            let alert: JSONValue = ["text": "SLA breach in chat 7", "alert": ["chat_id": "7", "level": "breach"]]
            let answer = try await HTTPProbe(endpoints: endpoints).json("POST", "/hooks/alerts", alert, token: nil)
            #expect(answer.status == 200)
            let recorded = try await HTTPProbe(endpoints: endpoints).send("GET", "/emulator/record")
            guard case .array(let alerts) = recorded.json["alerts"] else {
                Issue.record("no alerts in \(recorded.json)")
                return
            }
            #expect(alerts.first?["body"] == alert)
            #expect(emulator.record.alerts.map(\.path) == ["/hooks/alerts"])
        }
    }
}
