import ChatBotKit
import Foundation

/// Turns the emulator's events into frame text, in the documented shape or, with
/// quirks on, in the variants of PROTOCOL.md Part 2 with a malformed frame or an
/// unknown event type now and then.
struct FramePublisher: Sendable {
    private let documented = FrameEncoder()
    private let variants: [FrameEncoder]
    private let quirks: Bool
    private var random: SeededGenerator

    /// Frames that a client must survive, sent now and then when quirks are on.
    static let malformedFrames = [
        "not json at all",
        #"["event_type", "new_chat"]"#,
        #"{"data": {"chat_id": 1}}"#,
        #"{"event_type": 7, "data": {}}"#,
        #"{"event_type": "new_message", "data": "oops"}"#,
        #"{"event_type": "assign_curator", "data": {"chat_id": null, "curator_id": 1}}"#,
    ]

    init(quirks: Bool, seed: UInt64) {
        self.quirks = quirks
        self.random = SeededGenerator(seed: seed ^ 0x5155_4952_4B53)
        let offset = WireTimestamp.Style(zone: .offset(seconds: 3 * 3_600))
        variants = [
            FrameEncoder(style: WireStyle(numericIDs: true)),
            FrameEncoder(style: WireStyle(files: .array)),
            FrameEncoder(style: WireStyle(timestamps: .init(zone: .zulu, alwaysFractional: true))),
            FrameEncoder(style: WireStyle(timestamps: offset, omitsNullFields: true)),
            FrameEncoder(style: WireStyle(numericIDs: true, files: .array, timestamps: .init(zone: .zulu), omitsNullFields: true)),
        ]
    }

    /// The frames for `events`, in order.
    mutating func frames(for events: [ChatEvent]) -> [String] {
        var frames: [String] = []
        frames.reserveCapacity(events.count)
        for event in events {
            if quirks {
                if Int.random(in: 0..<100, using: &random) < 2 {
                    frames.append(Self.malformedFrames.randomElement(using: &random) ?? "")
                }
                if Int.random(in: 0..<100, using: &random) < 2 {
                    frames.append(#"{"event_type": "chat_typing", "data": {"chat_id": "\#(event.chatID?.rawValue ?? "1")", "user_id": "someone"}}"#)
                }
            }
            let encoder = quirks && Bool.random(using: &random) ? variants.randomElement(using: &random) ?? documented : documented
            // Encoding the emulator's own well-formed events cannot fail; if it ever
            // did, the frame is skipped rather than sent half-written.
            if let frame = try? encoder.encodeText(event) {
                frames.append(frame)
            }
        }
        return frames
    }
}
