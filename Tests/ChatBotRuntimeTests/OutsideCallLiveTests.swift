import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

/// Asks the emulator's outside service about each client message ("slow" ones are
/// answered 1.5 s late) and says what it answered.
private struct AskingBot: Bot {
    let name = "asker"
    let port: Int
    static let echo = CallKind<MessageID>("echo")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event, message.senderID.rawValue.hasPrefix("client"), let text = message.text else { return }
        let delay = text == "slow" ? 1_500 : 0
        let request = OutsideRequest(url: "http://127.0.0.1:\(port)/outside/echo?delay_ms=\(delay)", body: Data(text.utf8), timeout: .seconds(20))
        context.ask(request, as: Self.echo, chat: message.chatID, payload: message.id)
    }

    func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws {
        guard let message = try answer.payload(Self.echo), let chat = answer.chatID else { return }
        guard case .answered(let status, let body) = answer.outcome else { return }
        context.send("\(message): \(status) \(String(decoding: body, as: UTF8.self))", to: chat)
    }
}

@Suite("Outside calls, live over real sockets", .timeLimit(.minutes(2)))
struct OutsideCallLiveTests {
    @Test func aSlowOutsideServiceDelaysNoOtherChatAndItsAnswerArrivesInItsTurn() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(port: port, store: folder.appendingPathComponent("bots.sqlite").path)
                let loaded = try ConfigLoader.parse(yaml, file: "outside.yaml", environment: [:])
                let runtime = BotRuntime(configuration: loaded, bots: [AskingBot(port: port)], logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    let slow = emulator.openChat(client: "client-1")
                    let fast = emulator.openChat(client: "client-2")
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 1, "sender": "client-1", "chat_id": "\#(slow)", "text": "slow", "message_type": "text"}}"#
                    )
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 2, "sender": "client-2", "chat_id": "\#(fast)", "text": "fast", "message_type": "text"}}"#
                    )
                    // The fast chat is answered and acted on while the slow call is out.
                    try await eventually("the fast chat's reply") { emulator.record.appliedActions.count == 1 }
                    #expect(emulator.record.appliedActions.first?.path.contains("\(fast)") == true)
                    #expect(emulator.record.appliedActions.first?.body["text"] == "2: 200 fast")
                    try await eventually("the slow chat's reply") { emulator.record.appliedActions.count == 2 }
                    #expect(emulator.record.appliedActions.last?.body["text"] == "1: 200 slow")
                    #expect(emulator.record.outsideCalls == 2)
                    #expect(parts.engine.pendingTimers.isEmpty, "no call left in flight")
                }
            }
        }
    }
}
