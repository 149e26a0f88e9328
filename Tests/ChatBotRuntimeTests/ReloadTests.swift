import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGHUP re-reads the configuration file of a running runtime: a good file changes a
/// bot's behaviour on the next event without dropping the socket; a broken one is
/// refused and the runtime goes on with the old. The signals are real, sent to this
/// process, so the suite runs its tests one at a time.
@Suite("Hot reload on SIGHUP", .serialized, .timeLimit(.minutes(3)))
struct ReloadTests {
    static func configuration(port: Int, store: String, reply: String, curators: [String] = []) -> String {
        emulatorRuntimeYAML(
            port: port, store: store,
            extra: """
                engine:
                  curators: [\(curators.joined(separator: ", "))]
                bots:
                  - type: after_hours
                    options:
                      hours: {time_zone: UTC, mode: always_closed}
                      replies: {en: "\(reply)"}
                """)
    }

    /// The runtime's configuration file, rewritten by a test before it sends SIGHUP.
    struct ConfigFile: Sendable {
        let url: URL
        let port: Int
        let store: String

        func write(reply: String, curators: [String] = [], edit: (String) -> String = { $0 }) throws {
            try edit(ReloadTests.configuration(port: port, store: store, reply: reply, curators: curators))
                .write(to: url, atomically: true, encoding: .utf8)
            // It holds the emulator's client secret: owner-only, or the loader refuses it.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        }
    }

    /// Runs a runtime, connected to an emulator, that reloads its file on SIGHUP; the
    /// file first says the after-hours reply is "First.".
    static func withReloadingRuntime(
        _ body: @Sendable (Emulator, BotRuntime, BotRuntime.Parts, ConfigFile, LogLines) async throws -> Void
    ) async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let file = ConfigFile(
                    url: folder.appendingPathComponent("bots.yaml"), port: port, store: folder.appendingPathComponent("bots.sqlite").path
                )
                try file.write(reply: "First.")
                let loaded = try ConfigLoader.load(path: file.url.path, environment: [:])
                let lines = LogLines()
                var logger = Logger(label: "chatbots") { JSONLogHandler(label: $0, write: lines.append) }
                logger.logLevel = .info
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: file.url.path), logger: logger,
                    environment: [:], reloadOnHangup: .init(configurationFile: file.url.path, registry: .builtIn)
                )
                try await withConnectedRuntime(runtime) { parts in try await body(emulator, runtime, parts, file, lines) }
            }
        }
    }

    /// A client opens a chat and writes; returns the text of the bot's reply there.
    static func replyToANewChat(_ emulator: Emulator, _ parts: BotRuntime.Parts, client: String) async throws -> String {
        let chat = emulator.openChat(client: UserID(client))
        let before = parts.delivery.statistics.delivered
        emulator.send(
            rawFrame:
                #"{"event_type": "new_message", "data": {"id": 1, "sender": "\#(client)", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#
        )
        await parts.delivery.waitUntil { $0.delivered > before }
        let reply = try #require(emulator.record.appliedActions.last { $0.path.contains("/api/chats/\(chat)/messages") })
        return String(decoding: try JSONEncoder().encode(reply.body), as: UTF8.self)
    }

    @Test func aGoodFileChangesABotsBehaviourOnTheNextEventWithoutDroppingTheSocket() async throws {
        try await Self.withReloadingRuntime { emulator, runtime, parts, file, lines in
            #expect(try await Self.replyToANewChat(emulator, parts, client: "client-1").contains("First."))

            try file.write(reply: "Second.", curators: ["curator-9"]) {
                $0.replacingOccurrences(of: "ping_interval_seconds: 5", with: "ping_interval_seconds: 7")
            }
            kill(getpid(), SIGHUP)
            await runtime.waitForReloads { $0.applied + $0.refused >= 1 }
            #expect(runtime.reloadCounts == ReloadCounters(applied: 1, refused: 0), "\(lines.all.suffix(3))")

            #expect(try await Self.replyToANewChat(emulator, parts, client: "client-2").contains("Second."))
            #expect(parts.gateway.statistics.connections == 1, "the socket stayed up")
            #expect(parts.engine.worldModel.role(of: "curator-9") == .curator, "the grown roster was learned")
            #expect(lines.all.contains { $0.contains("configuration reloaded") })
            #expect(lines.all.contains { $0.contains("not applied until a restart: server") }, "the changed ping interval needs a restart")

            // The same server change again, the curator gone: still not applied, and said so.
            try file.write(reply: "Third.") {
                $0.replacingOccurrences(of: "ping_interval_seconds: 5", with: "ping_interval_seconds: 7")
            }
            kill(getpid(), SIGHUP)
            await runtime.waitForReloads { $0.applied + $0.refused >= 2 }
            #expect(runtime.reloadCounts == ReloadCounters(applied: 2, refused: 0))
            #expect(try await Self.replyToANewChat(emulator, parts, client: "client-3").contains("Third."))
            #expect(lines.all.filter { $0.contains("not applied until a restart: server") }.count == 2)
            #expect(lines.all.contains { $0.contains("keeps the role: curator-9") })
        }
    }

    @Test func aBrokenFileIsRefusedWithItsErrorAndTheOldConfigurationKeepsRunning() async throws {
        try await Self.withReloadingRuntime { emulator, runtime, parts, file, lines in
            // A misspelt option of the bot: the registry refuses it, naming the key.
            try file.write(reply: "Second.") { $0.replacingOccurrences(of: "replies:", with: "replys:") }
            kill(getpid(), SIGHUP)
            await runtime.waitForReloads { $0.applied + $0.refused >= 1 }
            #expect(runtime.reloadCounts.refused == 1)
            #expect(try await Self.replyToANewChat(emulator, parts, client: "client-1").contains("First."))

            // Not YAML at all.
            try file.write(reply: "Second.") { _ in "server: [unclosed" }
            kill(getpid(), SIGHUP)
            await runtime.waitForReloads { $0.applied + $0.refused >= 2 }
            #expect(runtime.reloadCounts.refused == 2)
            #expect(try await Self.replyToANewChat(emulator, parts, client: "client-2").contains("First."))

            #expect(runtime.reloadCounts.applied == 0)
            #expect(parts.gateway.statistics.connections == 1)
            let refusals = lines.all.filter { $0.contains("configuration reload refused") }
            #expect(refusals.count == 2)
            #expect(refusals.first?.contains("replys") == true, "the error names the wrong key")
        }
    }
}
