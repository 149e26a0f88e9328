import ChatBotKit
import ChatEmulator
import Foundation
import Logging
import Testing

@Suite("Timed scenarios from a file", .timeLimit(.minutes(2)))
struct ScenarioTests {
    static let script = """
        # a client opens a chat, a frame nobody can read, then the server closes
        {"delay_ms": 0, "frame": {"event_type": "new_chat", "data": {"user_id": 5, "chat_id": 900, "chat_type": "order"}}}
        {"delay_ms": 50, "raw": "this is not JSON"}

        {"delay_ms": 50, "frame": {"event_type": "new_message", "data": {"id": 1, "sender": 5, "chat_id": 900, "text": "hi", "message_type": "text", "created_at": "2021-01-01T00:00:00"}}}
        {"delay_ms": 50, "close": 4003}
        """

    @Test func playsItsStepsInOrderOnceAClientConnects() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString).jsonl").path
        try Self.script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withEmulator(EmulatorConfiguration(scenarioPath: path)) { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            // The first step has no delay, so its frame may share a TCP segment with
            // the handshake answer: the raw probe reads it either way.
            let socket = try await RawSocketProbe(port: endpoints.port, path: "/connect/?token=\(token)")
            guard case .text(let first) = try await socket.nextFrame() else {
                Issue.record("expected the scenario's first frame")
                return
            }
            #expect(try FrameDecoder().decode(text: first).get() == .newChat(.init(clientID: "5", chatID: "900", chatType: .order)))
            #expect(try await socket.nextFrame() == .text("this is not JSON"))
            guard case .text(let third) = try await socket.nextFrame(),
                case .newMessage(let message) = try FrameDecoder().decode(text: third).get()
            else {
                Issue.record("expected the scenario's message")
                return
            }
            #expect(message.text == "hi")
            #expect(try await socket.nextFrame() == .close(code: 4003, reason: "scenario"))
            // The scenario's chat is known to the backend, so actions on it work.
            let answer = try await http.json("POST", "/api/chats/900/messages/", ["text": "reply"], token: token)
            #expect(answer.status == 201)
            #expect(emulator.status.chats >= 1)
        }
    }

    @Test func aBadLineIsReportedWithFileAndLine() {
        let text = """
            {"delay_ms": 0, "raw": "ok"}
            {"delay_ms": -5, "raw": "bad delay"}
            """
        #expect(throws: Scenario.ParseError(file: "demo.jsonl", line: 2, reason: "\"delay_ms\" must be a whole number of milliseconds, 0 or more")) {
            try Scenario(text: text, file: "demo.jsonl")
        }
        #expect(throws: Scenario.ParseError.self) { try Scenario(text: "{\"delay_ms\": 1}", file: "x") }
        #expect(throws: Scenario.ParseError.self) { try Scenario(text: "[1, 2]", file: "x") }
    }

    @Test func aMissingFileFailsAtStartNamingIt() {
        #expect {
            try Emulator(configuration: EmulatorConfiguration(scenarioPath: "/nonexistent/plan.jsonl"), logger: .init(label: "test"))
        } throws: { error in
            "\(error)".contains("/nonexistent/plan.jsonl")
        }
    }
}
