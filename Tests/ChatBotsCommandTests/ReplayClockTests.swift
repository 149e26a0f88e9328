import ChatBotKit
import ChatBotRuntime
import Foundation
import Testing

@testable import chatbots

@Suite("chatbots replay's clock")
struct ReplayClockTests {
    /// A client writes at 10:00:00 and nobody answers; the recording ends at 10:00:30.
    let lines = [
        FrameRecorder.Line(
            receivedAt: Date(timeIntervalSince1970: 1_767_261_600),
            frame: #"{"event_type": "new_chat", "data": {"user_id": "c-1", "chat_id": 1, "chat_type": "order"}}"#),
        FrameRecorder.Line(
            receivedAt: Date(timeIntervalSince1970: 1_767_261_600),
            frame: #"{"event_type": "new_message", "data": {"id": 1, "sender": "c-1", "chat_id": 1, "text": "Hello?", "message_type": "text"}}"#),
        FrameRecorder.Line(
            receivedAt: Date(timeIntervalSince1970: 1_767_261_630),
            frame: #"{"event_type": "user_status", "data": {"user_id": "x", "status": "online"}}"#),
    ]

    func replay(runOn: Duration) async throws -> Replay.Summary {
        let configuration = try ConfigLoader.parse(
            """
            server: {url: "ws://127.0.0.1:1"}
            auth: {static_token_env: NONE}
            service_account_id: 1000
            bots:
              - type: sla_alerts
                options: {policies: [{kind: first_response, warning: 5m, breach: 15m}]}
            """, file: "replay.yaml", environment: [:])
        var replay = Replay(
            configuration: configuration, bots: try BotRegistry.builtIn.makeBots(configuration.bots, file: "replay.yaml"), lines: lines)
        replay.runOn = runOn
        return try await replay.run()
    }

    @Test func timersFireOnTheRecordingsClockAndRunOnPastItsEnd() async throws {
        let stopped = try await replay(runOn: .zero)
        #expect(stopped.decisions.isEmpty)
        // One timer per clock: the warning's; the breach's is set when it fires.
        #expect(stopped.timersPending == 1)

        let ranOn = try await replay(runOn: .minutes(20))
        #expect(ranOn.decisions.map(\.action.kind) == ["alert", "alert"])
        // Each alert is stamped with its own moment: 5 and 15 minutes after the message.
        #expect(ranOn.decisions.map { $0.at.timeIntervalSince1970 - 1_767_261_600 } == [300, 900])
        #expect(ranOn.timersPending == 0)
    }
}
