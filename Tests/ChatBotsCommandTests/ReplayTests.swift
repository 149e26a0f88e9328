import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

@testable import chatbots

@Suite("chatbots replay", .timeLimit(.minutes(2)))
struct ReplayTests {
    @Test func aRecordingReplayedYieldsTheActionsOfTheLiveRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let recording = folder.appendingPathComponent("frames.jsonl").path

        // The live run: one curator, the desk always closed, generated traffic, recorded.
        let live = try await Emulator.withRunning(EmulatorConfiguration(seed: 9, world: .init(clients: 8, curators: 1))) { emulator, port in
            let yaml = """
                server: {url: "ws://127.0.0.1:\(port)"}
                auth: {keycloak: {token_url: "http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token", client_id: chatbots, client_secret: chatbots-secret}}
                service_account_id: 1000
                store: {path: "\(folder.appendingPathComponent("live.sqlite").path)"}
                engine: {curators: [curator-1]}
                bots:
                  - {type: auto_assign, options: {max_open_chats: 100}}
                  - type: after_hours
                    options: {hours: {time_zone: UTC, mode: always_closed}, replies: {en: "Closed.", ru: "Закрыто."}, default_language: en}
                """
            try yaml.write(toFile: folder.appendingPathComponent("bots.yaml").path, atomically: true, encoding: .utf8)
            // It holds the emulator's client secret: owner-only, or the loader refuses it.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.appendingPathComponent("bots.yaml").path)
            let loaded = try ConfigLoader.load(path: folder.appendingPathComponent("bots.yaml").path, environment: [:])
            let runtime = BotRuntime(
                configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "bots.yaml"), logger: quietLogger,
                recordPath: recording)
            return try await withThrowingTaskGroup(of: [String]?.self) { group in
                group.addTask {
                    try await runtime.run()
                    return nil
                }
                defer { group.cancelAll() }
                let parts = try #require(await runtime.waitUntilStarted())
                await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                // Scripted rather than generated: generated presence flaps race with new
                // chats across lanes in a live run (see the note in docs/ARCHITECTURE.md).
                emulator.send(rawFrame: #"{"event_type": "user_status", "data": {"user_id": "curator-1", "status": "online"}}"#)
                for index in 1...12 {
                    let client = "client-\(index % 5)"
                    let chat = emulator.openChat(client: UserID(client), type: index.isMultiple(of: 2) ? .order : .topic)
                    let text = index.isMultiple(of: 3) ? "Где мой заказ?" : "Where is my order?"
                    emulator.send(
                        rawFrame:
                            #"{"event_type": "new_message", "data": {"id": "m\#(index)", "sender": "\#(client)", "chat_id": "\#(chat)", "text": "\#(text)", "message_type": "text"}}"#
                    )
                }
                // Until every frame, echoes included, is read and every action delivered.
                while true {
                    let sent = emulator.status.framesBroadcast
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= sent }
                    await parts.engine.waitUntilIdle()
                    while try await parts.store.pendingActionCount() > 0 { try await parts.delivery.deliverDue() }
                    if emulator.status.framesBroadcast == sent { break }
                }
                return try emulator.record.appliedActions.map { try Self.canonical($0.method, $0.path, $0.body) }.sorted()
            }
        }

        let loaded = try ConfigLoader.load(path: folder.appendingPathComponent("bots.yaml").path, environment: [:])
        let lines = try FrameRecorder.read(path: recording)
        let summary = try await Replay(configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "bots.yaml"), lines: lines)
            .run()
        let routes = ActionRoutes()
        let replayed = summary.decisions.compactMap { decision -> String? in
            guard let request = routes.request(for: decision.action, baseURL: "") else { return nil }
            let body = (try? JSONDecoder().decode(JSONValue.self, from: request.body ?? Data())) ?? .null
            return try? Self.canonical(request.method, request.url, body)
        }.sorted()

        #expect(live.count == 24)  // an assignment and an after-hours reply per chat
        #expect(replayed == live)
        #expect(summary.frames == lines.count)
    }

    /// A request as one comparable line: method, path, and the body with sorted keys.
    private static func canonical(_ method: String, _ path: String, _ body: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return "\(method) \(path) " + String(decoding: try encoder.encode(body), as: UTF8.self)
    }
}
