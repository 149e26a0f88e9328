import ChatBotKit
import Foundation
import Testing

@Suite("Encode, then decode, gives back the same event in every wire style", .timeLimit(.minutes(2)))
struct RoundTripTests {
    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    static let samples: [ChatEvent] = [
        .userStatus(.init(userID: "17", status: .online)),
        .userStatus(.init(userID: "curator-b", status: .unknown("busy"))),
        .newChat(.init(clientID: "5", chatID: "100", chatType: .order)),
        .newChat(.init(clientID: "client-x", chatID: "chat-y", chatType: .topic)),
        .newMessage(ChatMessage(id: "1", senderID: "5", chatID: "100", text: "Где мой заказ? 📦", createdAt: created)),
        .newMessage(
            ChatMessage(
                id: "m-2", senderID: "5", chatID: "100", text: nil, messageType: .file,
                createdAt: created.addingTimeInterval(0.125), files: [MessageFile(id: 3, url: "https://f.example/a b.png")]
            )),
        .newMessage(
            ChatMessage(
                id: "3", senderID: "5", chatID: "100", text: nil, messageType: .file, createdAt: created,
                files: [MessageFile(id: 3, url: "https://f.example/1"), MessageFile(id: nil, url: "https://f.example/2")]
            )),
        .newMessage(ChatMessage(id: "4", senderID: "5", chatID: "100", text: "\"quoted\"\n", messageType: .emoji, createdAt: nil)),
        .assignCurator(.init(chatID: "100", curatorID: "17")),
        .updateChatStatus(.init(chatID: "100", status: .closed)),
        .readChatMessage(.init(chatID: "100", lastMessageID: "4", readerID: "17")),
        .deleteMessage(.init(chatID: "100", messageID: "m-2")),
        .updateMessage(ChatMessage(id: "1", senderID: "5", chatID: "100", text: "edited", createdAt: created)),
        .unknown(.init(type: "chat_typing", data: .object(["chat_id": "100", "n": .integer(2), "ok": .bool(false)]))),
    ]

    static let styles: [WireStyle] = [
        .documented,
        WireStyle(numericIDs: true),
        WireStyle(files: .array),
        WireStyle(timestamps: .init(zone: .zulu)),
        WireStyle(timestamps: .init(zone: .offset(seconds: 3 * 3_600), alwaysFractional: true)),
        WireStyle(timestamps: .init(zone: .offset(seconds: -(4 * 3_600 + 30 * 60)))),
        WireStyle(numericIDs: true, files: .array, timestamps: .init(zone: .zulu, alwaysFractional: true), omitsNullFields: true),
    ]

    @Test(arguments: styles)
    func roundTrips(style: WireStyle) throws {
        let encoder = FrameEncoder(style: style)
        let decoder = FrameDecoder()
        for event in Self.samples {
            let frame = try encoder.encodeText(event)
            let decoded = try decoder.decode(text: frame).get()
            #expect(decoded == event, "frame: \(frame)")
        }
    }

    @Test func theDocumentedStyleWritesTheDocumentsShape() throws {
        let frame = try FrameEncoder().encode(Self.samples[5])
        let json = try #require(try JSONSerialization.jsonObject(with: frame) as? [String: Any])
        #expect(json["event_type"] as? String == "new_message")
        let data = try #require(json["data"] as? [String: Any])
        #expect(Set(data.keys) == ["id", "sender", "chat_id", "text", "message_type", "created_at", "files"])
        #expect(data["created_at"] as? String == "2023-11-14T22:13:20.125000")
        #expect(data["text"] is NSNull)
        let file = try #require(data["files"] as? [String: Any], "one file is written as an object")
        #expect(file["file"] as? String == "https://f.example/a b.png")
    }

    @Test func numericIDsAreWrittenAsIntegersOnlyWhenTheyAreIntegers() throws {
        let frame = try FrameEncoder(style: WireStyle(numericIDs: true)).encodeText(
            .assignCurator(.init(chatID: "100", curatorID: "curator-7"))
        )
        #expect(frame.contains(#""chat_id":100"#))
        #expect(frame.contains(#""curator_id":"curator-7""#))
    }
}
