import ChatBotKit
import Foundation
import Testing

/// A frame that must not decode, and what the failure must say.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let frame: Data
    let kind: FrameDecodingFailure.Kind
    var eventType: String? = nil
    var reasonMentions: String? = nil
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ kind: FrameDecodingFailure.Kind, eventType: String? = nil, mentions: String? = nil) {
        self.name = name
        self.frame = Data(text.utf8)
        self.kind = kind
        self.eventType = eventType
        self.reasonMentions = mentions
    }

    init(_ name: String, bytes: [UInt8], _ kind: FrameDecodingFailure.Kind) {
        self.name = name
        self.frame = Data(bytes)
        self.kind = kind
    }
}

@Suite("Malformed frames become failure values, one by one", .timeLimit(.minutes(2)))
struct MalformedFrameTests {
    static let corpus: [MalformedCase] = [
        MalformedCase("not JSON", "hello there", .notJSON),
        MalformedCase("truncated JSON", #"{"event_type": "new_chat", "data": {"chat_id": "#, .notJSON),
        MalformedCase("empty frame", "", .notJSON),
        MalformedCase("invalid UTF-8", bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], .notJSON),
        MalformedCase("a JSON array", #"[{"event_type": "new_chat"}]"#, .notAnObject),
        MalformedCase("a JSON string", #""new_chat""#, .notAnObject),
        MalformedCase("no event_type", #"{"data": {"chat_id": 1}}"#, .missingEventType),
        MalformedCase("a numeric event_type", #"{"event_type": 3, "data": {}}"#, .eventTypeNotString),
        MalformedCase("a null event_type", #"{"event_type": null, "data": {}}"#, .eventTypeNotString),
        MalformedCase("data is a string", #"{"event_type": "new_chat", "data": "c1"}"#, .invalidData, eventType: "new_chat", mentions: "data"),
        MalformedCase(
            "data is an array", #"{"event_type": "assign_curator", "data": [1, 2]}"#, .invalidData, eventType: "assign_curator", mentions: "data"),
        MalformedCase("data is missing", #"{"event_type": "delete_message"}"#, .invalidData, eventType: "delete_message", mentions: "data"),
        MalformedCase(
            "a required field is missing",
            #"{"event_type": "new_chat", "data": {"user_id": 1, "chat_type": "order"}}"#,
            .invalidData, eventType: "new_chat", mentions: "data.chat_id"
        ),
        MalformedCase(
            "an id of the wrong type",
            #"{"event_type": "assign_curator", "data": {"chat_id": true, "curator_id": 1}}"#,
            .invalidData, eventType: "assign_curator", mentions: "data.chat_id"
        ),
        MalformedCase(
            "a created_at that is no timestamp",
            #"{"event_type": "new_message", "data": {"id": 1, "sender": 2, "chat_id": 3, "text": "x", "message_type": "text", "created_at": "yesterday"}}"#,
            .invalidData, eventType: "new_message", mentions: "data.created_at"
        ),
        MalformedCase(
            "an impossible date",
            #"{"event_type": "new_message", "data": {"id": 1, "sender": 2, "chat_id": 3, "text": "x", "message_type": "text", "created_at": "2021-02-30T00:00:00"}}"#,
            .invalidData, eventType: "new_message", mentions: "created_at"
        ),
        MalformedCase(
            "text of the wrong type",
            #"{"event_type": "new_message", "data": {"id": 1, "sender": 2, "chat_id": 3, "text": 5, "message_type": "text"}}"#,
            .invalidData, eventType: "new_message", mentions: "data.text"
        ),
        MalformedCase(
            "files of the wrong type",
            #"{"event_type": "new_message", "data": {"id": 1, "sender": 2, "chat_id": 3, "text": "x", "files": "a.png"}}"#,
            .invalidData, eventType: "new_message", mentions: "data.files"
        ),
    ]

    @Test(arguments: corpus)
    func isRejectedWithAReason(_ testCase: MalformedCase) {
        let result = FrameDecoder().decode(json: testCase.frame)
        guard case .failure(let failure) = result else {
            Issue.record("decoded to \(result)")
            return
        }
        #expect(failure.kind == testCase.kind)
        #expect(failure.eventType == testCase.eventType)
        if let mention = testCase.reasonMentions {
            #expect(failure.reason.contains(mention), "reason was: \(failure.reason)")
        }
        #expect(failure.framePrefix.hasPrefix(String(decoding: testCase.frame.prefix(FrameDecodingFailure.prefixLength), as: UTF8.self)))
        #expect(String(describing: failure).contains(failure.reason))
    }

    @Test func aBinaryFrameIsAFailure() {
        let result = FrameDecoder().decode(binary: Data(#"{"event_type": "new_chat"}"#.utf8))
        guard case .failure(let failure) = result else {
            Issue.record("decoded to \(result)")
            return
        }
        #expect(failure.kind == .binaryFrame)
    }

    @Test func aTwoMegabyteFrameIsRefusedWithoutParsing() {
        let padding = String(repeating: "x", count: 2 << 20)
        let frame = #"{"event_type": "new_message", "data": {"text": "\#(padding)"}}"#
        guard case .failure(let failure) = FrameDecoder().decode(text: frame) else {
            Issue.record("a 2 MB frame decoded")
            return
        }
        #expect(failure.kind == .tooLarge)
        #expect(failure.reason.contains("\(FrameDecoder.defaultMaxFrameBytes)"))
        #expect(failure.framePrefix.count <= FrameDecodingFailure.prefixLength + 1)
    }

    /// Shapes of nesting that would take a recursive parser down by its stack, each
    /// well inside the size limit. (Arguments name the shape; the frames are too big
    /// to print in a test log.)
    enum DeepFrame: String, CaseIterable, Sendable {
        case bareArrays, arraysAsData, objectsInAnUnknownEvent, arraysInAnUnknownField

        var text: String {
            switch self {
            case .bareArrays:
                String(repeating: "[", count: 200_000)
            case .arraysAsData:
                #"{"event_type": "new_message", "data": "# + String(repeating: "[", count: 200_000)
            case .objectsInAnUnknownEvent:
                #"{"event_type": "unknown_thing", "data": {"deep": "# + String(repeating: #"{"a":"#, count: 100_000) + "1"
                    + String(repeating: "}", count: 100_000) + "}}"
            case .arraysInAnUnknownField:
                #"{"event_type": "new_message", "data": {"id": 1, "sender": 2, "chat_id": 3, "text": "hi", "extra": "#
                    + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "}}"
            }
        }
    }

    @Test(arguments: DeepFrame.allCases)
    func deeplyNestedFramesNeverCrashTheDecoder(shape: DeepFrame) {
        let frame = shape.text
        #expect(frame.utf8.count < FrameDecoder.defaultMaxFrameBytes)
        switch FrameDecoder().decode(text: frame) {
        case .failure(let failure):
            #expect(!failure.reason.isEmpty)
            #expect(failure.framePrefix.count <= FrameDecodingFailure.prefixLength + 1)
        case .success(let event):
            // Only an unknown part may be that deep; the event itself is whole.
            #expect(event.type == .newMessage || event.type == .unknown("unknown_thing"))
        }
    }

    @Test func aFailureDoesNotAffectTheNextFrame() throws {
        let decoder = FrameDecoder()
        for testCase in Self.corpus {
            _ = decoder.decode(json: testCase.frame)
            let next = try decoder.decode(text: #"{"event_type": "delete_message", "data": {"chat_id": 1, "message_id": 2}}"#).get()
            #expect(next == .deleteMessage(.init(chatID: 1, messageID: 2)))
        }
    }
}
