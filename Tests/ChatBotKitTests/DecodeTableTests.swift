import ChatBotKit
import Foundation
import Testing

/// One frame the backend may send, and the event it must decode to.
struct DecodeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let frame: String
    let expected: ChatEvent
    var testDescription: String { name }
}

private func date(_ text: String) -> Date {
    // Test fixtures only: ISO8601DateFormatter is the independent reference here.
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let value = formatter.date(from: text) { return value }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text) ?? Date(timeIntervalSince1970: -1)
}

private func message(
    id: MessageID = "m1", sender: UserID = "u1", chat: ChatID = "c1", text: String? = "hello",
    type: MessageType = .text, createdAt: Date? = date("2021-01-01T00:00:00Z"), files: [MessageFile] = []
) -> ChatMessage {
    ChatMessage(id: id, senderID: sender, chatID: chat, text: text, messageType: type, createdAt: createdAt, files: files)
}

private let documentedFile = #"{"id": 7, "file": "https://files.example/a.png"}"#
private let file7 = MessageFile(id: 7, url: "https://files.example/a.png")

@Suite("Decoding every event and every variant of PROTOCOL.md Part 2", .timeLimit(.minutes(2)))
struct DecodeTableTests {
    static let events: [DecodeCase] = [
        DecodeCase(
            name: "user_status online",
            frame: #"{"event_type": "user_status", "data": {"user_id": "u9", "status": "online"}}"#,
            expected: .userStatus(.init(userID: "u9", status: .online))
        ),
        DecodeCase(
            name: "user_status offline, numeric id",
            frame: #"{"event_type": "user_status", "data": {"user_id": 9, "status": "offline"}}"#,
            expected: .userStatus(.init(userID: "9", status: .offline))
        ),
        DecodeCase(
            name: "user_status with a status the document does not list",
            frame: #"{"event_type": "user_status", "data": {"user_id": "u9", "status": "away"}}"#,
            expected: .userStatus(.init(userID: "u9", status: .unknown("away")))
        ),
        DecodeCase(
            name: "new_chat order",
            frame: #"{"event_type": "new_chat", "data": {"user_id": "client1", "chat_id": "c1", "chat_type": "order"}}"#,
            expected: .newChat(.init(clientID: "client1", chatID: "c1", chatType: .order))
        ),
        DecodeCase(
            name: "new_chat topic, numeric ids",
            frame: #"{"event_type": "new_chat", "data": {"user_id": 5, "chat_id": 42, "chat_type": "topic"}}"#,
            expected: .newChat(.init(clientID: "5", chatID: "42", chatType: .topic))
        ),
        DecodeCase(
            name: "new_chat with an unknown chat_type",
            frame: #"{"event_type": "new_chat", "data": {"user_id": 5, "chat_id": 42, "chat_type": "refund"}}"#,
            expected: .newChat(.init(clientID: "5", chatID: "42", chatType: .unknown("refund")))
        ),
        DecodeCase(
            name: "new_message as documented (files as one object)",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00", "files": \#(documentedFile)}}"#,
            expected: .newMessage(message(files: [file7]))
        ),
        DecodeCase(
            name: "new_message with numeric ids",
            frame:
                #"{"event_type": "new_message", "data": {"id": 1, "sender": 2, "chat_id": 3, "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00"}}"#,
            expected: .newMessage(message(id: "1", sender: "2", chat: "3"))
        ),
        DecodeCase(
            name: "new_message with files as an array",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": null, "message_type": "file", "created_at": "2021-01-01T00:00:00", "files": [\#(documentedFile), {"id": "8", "file": "https://files.example/b.pdf"}]}}"#,
            expected: .newMessage(message(text: nil, type: .file, files: [file7, MessageFile(id: 8, url: "https://files.example/b.pdf")]))
        ),
        DecodeCase(
            name: "new_message with files null",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00", "files": null}}"#,
            expected: .newMessage(message())
        ),
        DecodeCase(
            name: "new_message with files absent",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00"}}"#,
            expected: .newMessage(message())
        ),
        DecodeCase(
            name: "new_message with a string file id",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": null, "message_type": "file", "created_at": "2021-01-01T00:00:00", "files": {"id": "7", "file": "https://files.example/a.png"}}}"#,
            expected: .newMessage(message(text: nil, type: .file, files: [file7]))
        ),
        DecodeCase(
            name: "new_message with text absent (emoji)",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "message_type": "emoji", "created_at": "2021-01-01T00:00:00"}}"#,
            expected: .newMessage(message(text: nil, type: .emoji))
        ),
        DecodeCase(
            name: "new_message created_at with Z",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00Z"}}"#,
            expected: .newMessage(message())
        ),
        DecodeCase(
            name: "new_message created_at with an offset",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T03:00:00+03:00"}}"#,
            expected: .newMessage(message())
        ),
        DecodeCase(
            name: "new_message created_at with a colonless negative offset",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2020-12-31T19:30:00-0430"}}"#,
            expected: .newMessage(message())
        ),
        DecodeCase(
            name: "new_message created_at with fractional seconds",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00.250Z"}}"#,
            expected: .newMessage(message(createdAt: date("2021-01-01T00:00:00.250Z")))
        ),
        DecodeCase(
            name: "new_message created_at naive with microseconds",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00.500000"}}"#,
            expected: .newMessage(message(createdAt: date("2021-01-01T00:00:00.500Z")))
        ),
        DecodeCase(
            name: "new_message with an unknown message_type",
            frame:
                #"{"event_type": "new_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "voice", "created_at": "2021-01-01T00:00:00"}}"#,
            expected: .newMessage(message(type: .unknown("voice")))
        ),
        DecodeCase(
            name: "new_message with unknown fields",
            frame:
                #"{"event_type": "new_message", "extra": 1, "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00", "reply_to": {"id": 3}, "reactions": []}}"#,
            expected: .newMessage(message())
        ),
        DecodeCase(
            name: "assign_curator",
            frame: #"{"event_type": "assign_curator", "data": {"chat_id": "c1", "curator_id": 77}}"#,
            expected: .assignCurator(.init(chatID: "c1", curatorID: "77"))
        ),
        DecodeCase(
            name: "update_chat_status with any status string",
            frame: #"{"event_type": "update_chat_status", "data": {"chat_id": 1, "status": "waiting_for_client"}}"#,
            expected: .updateChatStatus(.init(chatID: "1", status: "waiting_for_client"))
        ),
        DecodeCase(
            name: "read_chat_message",
            frame: #"{"event_type": "read_chat_message", "data": {"chat_id": "c1", "last_message_id": 15, "user_id": "cur1"}}"#,
            expected: .readChatMessage(.init(chatID: "c1", lastMessageID: "15", readerID: "cur1"))
        ),
        DecodeCase(
            name: "delete_message",
            frame: #"{"event_type": "delete_message", "data": {"chat_id": "c1", "message_id": "m1"}}"#,
            expected: .deleteMessage(.init(chatID: "c1", messageID: "m1"))
        ),
        DecodeCase(
            name: "update_message",
            frame:
                #"{"event_type": "update_message", "data": {"id": "m1", "sender": "u1", "chat_id": "c1", "text": "hello", "message_type": "text", "created_at": "2021-01-01T00:00:00", "files": null}}"#,
            expected: .updateMessage(message())
        ),
        DecodeCase(
            name: "an unknown event type keeps its type and data",
            frame: #"{"event_type": "chat_typing", "data": {"chat_id": 4, "user_id": "u1", "flags": [true, null, 1.5]}}"#,
            expected: .unknown(
                .init(
                    type: "chat_typing",
                    data: .object([
                        "chat_id": .integer(4), "user_id": "u1", "flags": .array([.bool(true), .null, .double(1.5)]),
                    ])))
        ),
        DecodeCase(
            name: "an unknown event type without data",
            frame: #"{"event_type": "server_hello"}"#,
            expected: .unknown(.init(type: "server_hello", data: .null))
        ),
    ]

    static func frame(named name: String) -> String {
        events.first { $0.name == name }?.frame ?? ""
    }

    @Test(arguments: events)
    func decodes(_ testCase: DecodeCase) throws {
        let event = try FrameDecoder().decode(text: testCase.frame).get()
        #expect(event == testCase.expected)
    }

    @Test func everyDocumentedEventTypeIsInTheTable() {
        let covered = Set(Self.events.map(\.expected.type))
        for type in EventType.documented {
            #expect(covered.contains(type), "no decode case for \(type)")
        }
    }

    @Test func integerAndStringIdsAreTheSameId() {
        #expect(ChatID(42) == ChatID("42"))
        #expect(Set([UserID(7), UserID("7")]).count == 1)
        #expect(MessageID("042") != MessageID(42), "only the decimal spelling of an integer is the same id")
    }

    @Test func unknownEventsExposeTheirChatID() throws {
        let event = try FrameDecoder().decode(text: Self.frame(named: "an unknown event type keeps its type and data")).get()
        #expect(event.chatID == "4")
        #expect(event.type == .unknown("chat_typing"))
    }

    @Test func naiveTimestampsAreReadInTheBackendsZone() throws {
        let moscow = try #require(TimeZone(identifier: "Europe/Moscow"))
        let frame = Self.frame(named: "new_message with files absent")
        let event = try FrameDecoder(naiveTimeZone: moscow).decode(text: frame).get()
        guard case .newMessage(let message) = event else {
            Issue.record("expected a message, got \(event)")
            return
        }
        #expect(message.createdAt == date("2020-12-31T21:00:00Z"))
    }
}
