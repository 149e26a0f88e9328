import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

/// The optional directory routes, live against the emulator.
@Suite("The curator directory and chat details, live", .timeLimit(.minutes(2)))
struct DirectoryLiveTests {
    @Test func theRuntimeLearnsCuratorsTopicsPresenceAndChatTopics() async throws {
        let emulatorConfiguration = EmulatorConfiguration(world: .init(clients: 4, curators: 3, topics: ["billing", "delivery", "returns"]))
        try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(
                    port: port, store: folder.appendingPathComponent("bots.sqlite").path,
                    extra: """
                        directory:
                          curators_path: /api/curators/
                          chat_details_path: /api/chats/{chat_id}/
                        """)
                let loaded = try ConfigLoader.parse(yaml, file: "directory.yaml", environment: [:])
                let runtime = BotRuntime(configuration: loaded, bots: [], logger: quietLogger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await runtime.run() }
                    defer { group.cancelAll() }
                    let parts = try #require(await runtime.waitUntilStarted())
                    try await eventually("the directory to be read") { parts.engine.worldModel.role(of: "curator-3") == .curator }
                    let world = parts.engine.worldModel
                    // The emulator gives curator N the topics N and N+1, and puts every other one online.
                    #expect(world.users["curator-1"]?.topics == ["billing", "delivery"])
                    #expect(world.users["curator-2"]?.topics == ["delivery", "returns"])
                    #expect(world.users["curator-1"]?.presence == .online)
                    #expect(world.users["curator-2"]?.presence == .offline)

                    await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                    let chat = emulator.openChat(client: "client-1", type: .topic, topic: "returns")
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 1 }
                    await parts.engine.waitUntilIdle()
                    #expect(parts.engine.worldModel.chats[chat]?.topic == "returns")

                    // A chat the runtime forgot comes back: the details route says whose it is.
                    emulator.send(rawFrame: #"{"event_type": "update_chat_status", "data": {"chat_id": "\#(chat)", "status": "closed"}}"#)
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 2 }
                    await parts.engine.waitUntilIdle()
                    try await eventually("the closed chat forgotten") { try await parts.engine.forgetClosedChats(quietFor: .zero) == 1 }
                    #expect(parts.engine.worldModel.chats[chat] == nil)
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": 9, "sender": "client-1", "chat_id": "\#(chat)", "text": "back", "message_type": "text"}}"#
                    )
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 3 }
                    await parts.engine.waitUntilIdle()
                    let back = try #require(parts.engine.worldModel.chats[chat])
                    #expect(back.clientID == "client-1")
                    #expect(back.topic == "returns")
                    #expect(back.messages.first?.senderRole == .client)
                }
            }
        }
    }

    @Test func anUnreadableDirectoryIsLoggedAndTheRuntimeGoesOn() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = emulatorRuntimeYAML(
                    port: port, store: folder.appendingPathComponent("bots.sqlite").path,
                    extra: """
                        directory:
                          curators_path: /api/no-such-route/
                          chat_details_path: /api/no-such-route/{chat_id}/
                        """)
                let loaded = try ConfigLoader.parse(yaml, file: "directory.yaml", environment: [:])
                let directory = BackendDirectory(
                    apiBaseURL: loaded.server.apiBaseURL, section: loaded.directory, transport: AsyncHTTPTransport(),
                    tokens: KeycloakTokenProvider(
                        configuration: .init(
                            tokenURL: "http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token", clientID: "chatbots",
                            clientSecret: Secret("chatbots-secret")
                        ), logger: quietLogger),
                    logger: quietLogger
                )
                let failure = await #expect(throws: BackendDirectory.Failure.self) { try await directory.curators() }
                #expect(failure?.description.hasPrefix("curator directory at http://127.0.0.1:\(port)/api/no-such-route/: HTTP 404") == true)
                let topic = await directory.topic(of: "1")
                #expect(topic == nil)

                let runtime = BotRuntime(configuration: loaded, bots: [], logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    let chat = emulator.openChat(client: "client-1")
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 1 }
                    await parts.engine.waitUntilIdle()
                    #expect(parts.engine.worldModel.chats[chat]?.clientID == "client-1")
                    #expect(parts.engine.worldModel.chats[chat]?.topic == nil)
                }
            }
        }
    }
}
