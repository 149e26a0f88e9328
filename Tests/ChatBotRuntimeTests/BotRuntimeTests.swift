import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import ServiceLifecycle
import Testing

/// A user's bot, written against ChatBotKit alone: answers every message it sees.
struct ParrotBot: Bot {
    struct Settings: Decodable {
        let prefix: String
    }

    let name: String
    let settings: Settings

    func handle(_ event: ChatEvent, in context: BotContext) throws {
        guard case .newMessage(let message) = event, let text = message.text else { return }
        context.send("\(settings.prefix) \(text)", to: message.chatID)
    }
}

private func configuration(port: Int, store: String) -> String {
    emulatorRuntimeYAML(
        port: port, store: store,
        extra: """
            bots:
              - type: parrot
                options:
                  prefix: "you said:"
            """)
}

@Suite("The runtime, live against the emulator", .timeLimit(.minutes(2)))
struct BotRuntimeTests {
    @Test func aUsersBotRunsLiveAndItsOwnRepliesNeverTriggerIt() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let file = "test.yaml"
                let loaded = try ConfigLoader.parse(
                    configuration(port: port, store: folder.appendingPathComponent("bots.sqlite").path), file: file, environment: [:])
                var registry = BotRegistry()
                registry.register("parrot") { options in
                    ParrotBot(name: options.name, settings: try options.decode(ParrotBot.Settings.self))
                }
                let runtime = BotRuntime(configuration: loaded, bots: try registry.makeBots(loaded.bots, file: file), logger: quietLogger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await runtime.run() }
                    defer { group.cancelAll() }
                    let parts = try #require(await runtime.waitUntilStarted())
                    await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                    let chat = emulator.openChat(client: "client-1")
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 9001, "sender": "client-1", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#
                    )
                    await parts.delivery.waitUntil { $0.delivered >= 1 }
                    // The reply came back as new_message from the service account; let the
                    // engine see it, then check nothing answered it.
                    emulator.send(rawFrame: #"{"event_type": "marker"}"#)
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 4 }
                    await parts.engine.waitUntilIdle()
                    try await parts.delivery.deliverDue()
                    #expect(emulator.record.appliedActions.map(\.body) == [["text": "you said: hello", "message_type": "text"]])
                    #expect(parts.engine.statistics.ownMessagesSkipped == 1)
                }
            }
        }
    }

    @Test func aGracefulStopClosesTheSocketWithNormalClosure() async throws {
        try await CloseRecordingServer.withRunning { server in
            try await withTemporaryFolder { folder in
                let yaml = """
                    server:
                      url: ws://127.0.0.1:\(server.port)
                    auth:
                      static_token_env: CHATBOTS_TEST_TOKEN
                    service_account_id: 1000
                    store:
                      path: \(folder.appendingPathComponent("bots.sqlite").path)
                    """
                let loaded = try ConfigLoader.parse(yaml, file: "test.yaml", environment: [:])
                let runtime = BotRuntime(configuration: loaded, bots: [], logger: quietLogger, environment: ["CHATBOTS_TEST_TOKEN": "t0ken"])
                let group = ServiceGroup(configuration: .init(services: [runtime], logger: quietLogger))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    let parts = try #require(await runtime.waitUntilStarted())
                    await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
                await server.waitForClose()
                #expect(server.closeCodes == [1000])
            }
        }
    }

    @Test func anUnknownBotTypeIsNamedInTheError() throws {
        let loaded = try ConfigLoader.parse(configuration(port: 1, store: "/tmp/x.sqlite"), file: "test.yaml", environment: [:])
        #expect {
            try BotRegistry().makeBots(loaded.bots, file: "test.yaml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.keyPath == "bots[0].type" && error.message.contains("parrot")
        }
    }
}
