import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

@Suite("Recording frames", .timeLimit(.minutes(2)))
struct RecordTests {
    @Test func everyFrameIsAppendedAsReceivedEvenOnesThatDoNotDecode() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let recording = folder.appendingPathComponent("frames.jsonl").path
                let loaded = try ConfigLoader.parse(
                    emulatorRuntimeYAML(port: port, store: folder.appendingPathComponent("bots.sqlite").path), file: "record.yaml", environment: [:]
                )
                let runtime = BotRuntime(configuration: loaded, bots: [], logger: quietLogger, recordPath: recording)
                let frames = [
                    #"{"event_type": "new_chat", "data": {"user_id": 5, "chat_id": 77, "chat_type": "order"}}"#,
                    #"{"event_type": "new_message", "data": {"id": "m1", "sender": 5, "chat_id": 77, "text": "Здравствуйте", "message_type": "text"}}"#,
                    #"not json at all"#,
                ]
                try await withConnectedRuntime(runtime) { parts in
                    for frame in frames { emulator.send(rawFrame: frame) }
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 3 }
                }
                let lines = try FrameRecorder.read(path: recording)
                #expect(lines.map(\.frame) == frames)
                #expect(lines.map(\.receivedAt) == lines.map(\.receivedAt).sorted())
                let permissions = try FileManager.default.attributesOfItem(atPath: recording)[.posixPermissions] as? Int
                #expect(permissions == 0o600)

                try "{\"received_at\": \"yesterday\", \"frame\": \"x\"}\n".write(toFile: recording, atomically: true, encoding: .utf8)
                #expect(throws: RecorderError.badLine(path: recording, line: 1)) { try FrameRecorder.read(path: recording) }
            }
        }
    }
}
