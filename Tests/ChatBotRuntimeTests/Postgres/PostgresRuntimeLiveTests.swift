import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import ServiceLifecycle
import Testing

/// The whole runtime with its store in PostgreSQL: the built-in bots serve the
/// emulator's generated desk, and a second run on the same schema picks up where the
/// first stopped.
@Suite("The runtime on PostgreSQL, live against the emulator", .enabled(if: TestPostgres.isEnabled), .timeLimit(.minutes(3)))
struct PostgresRuntimeLiveTests {
    static let bots = """
        engine:
          curators: [curator-1, curator-2, curator-3]
        bots:
          - type: auto_assign
            options: {strategy: least_loaded, max_open_chats: 50}
          - type: after_hours
            options:
              hours: {time_zone: UTC, mode: always_closed}
              replies: {en: "Closed; back {next_open}."}
              default_language: en
              reply_on_new_chat: false
        """

    /// Runs a runtime on `yaml` until the traffic `drive` makes has settled; returns
    /// the chats its engine held at start.
    private func run(_ yaml: String, emulator: Emulator, drive: @Sendable (Emulator) throws -> Void) async throws -> Int {
        let loaded = try ConfigLoader.parse(yaml, file: "live.yaml", environment: [:])
        let runtime = BotRuntime(configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "live.yaml"), logger: quietLogger)
        let group = ServiceGroup(configuration: .init(services: [runtime], logger: quietLogger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let parts = try #require(await runtime.waitUntilStarted())
            let chatsAtStart = parts.engine.worldModel.chats.count
            #expect(parts.store.location.hasPrefix("postgres://"))
            let sentBefore = emulator.status.framesBroadcast
            await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
            try drive(emulator)
            try await settleTraffic(emulator, parts, sentBefore: sentBefore)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return chatsAtStart
        }
    }

    @Test func theBuiltInBotsServeADeskFromPostgreSQLAndARestartPicksUpWhereItStopped() async throws {
        let schema = TestPostgres.newSchemaName()
        let emulatorConfiguration = EmulatorConfiguration(seed: 17, world: .init(clients: 10, curators: 3))
        do {
            try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
                let yaml = emulatorRuntimeYAML(port: port, storeSection: try TestPostgres.storeYAML(schema: schema), extra: Self.bots)
                let online: @Sendable (Emulator) throws -> Void = { emulator in
                    for curator in ["curator-1", "curator-2", "curator-3"] {
                        try emulator.send(.userStatus(.init(userID: UserID(curator), status: .online)))
                    }
                }
                let first = try await run(yaml, emulator: emulator) { emulator in
                    try online(emulator)
                    emulator.generate(steps: 200)
                }
                #expect(first == 0)
                let chatsBefore = emulator.status.chats
                let before = TrafficReport(emulator.record)
                #expect(chatsBefore > 5)
                #expect(before.assignments > 0)
                #expect(before.repliedChats.count == chatsBefore)

                // Started again on the same schema: it knows the desk, and acts only on what is new.
                let second = try await run(yaml, emulator: emulator) { emulator in emulator.generate(steps: 200) }
                #expect(second >= chatsBefore, "the world came back from the store")
                let after = TrafficReport(emulator.record)
                #expect(emulator.status.chats > chatsBefore)
                #expect(after.refused == 0)
                #expect(after.distinctKeys == after.actions, "no action sent twice")
                #expect(after.assignedChats.count == after.assignments, "no chat assigned twice across the restart")
                #expect(after.replies == emulator.status.chats, "one after-hours reply per chat, across the restart")
            }
        } catch {
            try? await TestPostgres.dropSchema(schema)
            throw error
        }
        try await TestPostgres.dropSchema(schema)
    }
}
