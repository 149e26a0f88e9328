import ArgumentParser
import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation
import Logging

/// `chatbots bench`: events per second through the whole runtime — socket, decoding,
/// engine, bots, SQLite commit — against the emulator in the same process.
///
/// The emulator generates its usual traffic, but never runs more than `--window` frames
/// ahead of what the runtime has read, so the figure is what the runtime sustains, not
/// how fast a queue fills. The clock runs from the first frame generated until the
/// last event is handled and committed.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure events per second through the runtime, with the emulator in-process.",
        discussion: """
        Build in release mode for figures worth writing down:
          swift build -c release --product chatbots
          .build/release/chatbots bench --events 200000 --bot noop
          .build/release/chatbots bench --events 200000 --bot state
        """
    )

    @Option(help: "How many frames the emulator sends.")
    var events = 100_000

    @Option(help: "The bots to run: none (world model and commit only), noop (a handler that returns), state (a counter per chat written on every event), builtin (the three built-in bots).")
    var bot: BenchBotKind = .noop

    @Option(help: "Frames the emulator may run ahead of what the runtime has read.")
    var window = 5_000

    @Option(help: "Clients in the generated world (each may have up to two open chats).")
    var clients = 2_000

    @Option(help: "The SQLite file; by default a new one in a temporary folder, removed afterwards.")
    var store: String?

    @Option(help: "Seed of the generated traffic.")
    var seed: UInt64 = 1

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be at least 1, not \(events)") }
        guard window > 0 else { throw ValidationError("--window must be at least 1, not \(window)") }
        guard clients > 0 else { throw ValidationError("--clients must be at least 1, not \(clients)") }
    }

    func run() async throws {
        let logger = Logger(label: "chatbots.bench", level: .warning)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storePath = store ?? folder.appendingPathComponent("bench.sqlite").path

        let emulatorConfiguration = EmulatorConfiguration(
            port: 0, seed: seed, world: .init(clients: clients, curators: max(6, clients / 50))
        )
        let result = try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            let roster = (1...emulatorConfiguration.world.curators).map { "curator-\($0)" }
            let configuration = try ConfigLoader.parse(Self.runtimeYAML(port: port, store: storePath, roster: roster), file: "bench", environment: [:])
            let runtime = BotRuntime(configuration: configuration, bots: try bot.bots, logger: logger)
            return try await withThrowingTaskGroup(of: BenchResult?.self) { group in
                group.addTask {
                    try await runtime.run()
                    return nil
                }
                defer { group.cancelAll() }
                guard let parts = await runtime.waitUntilStarted() else { throw CancellationError() }
                await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                return await measure(emulator: emulator, parts: parts)
            }
        }
        print(result.report(bot: bot, window: window, store: storePath))
    }

    /// Pushes the traffic through and times it.
    private func measure(emulator: Emulator, parts: BotRuntime.Parts) async -> BenchResult {
        let before = ProcessUsage.now()
        let residentAtStart = ProcessUsage.residentBytes()
        let clock = ContinuousClock()
        let started = clock.now
        var generating = Duration.zero
        var sent = 0
        while sent < events {
            let read = parts.gateway.statistics.framesReceived
            if sent - read < window {
                let step = clock.now
                sent += emulator.generate(steps: min(500, events - sent))
                generating += clock.now - step
            } else {
                let target = sent - window / 2
                await parts.gateway.waitUntil { _, counters in counters.framesReceived >= target }
            }
        }
        let total = sent
        await parts.gateway.waitUntil { _, counters in counters.framesReceived >= total }
        await parts.engine.waitUntilIdle()
        let elapsed = clock.now - started
        let after = ProcessUsage.now()
        return BenchResult(
            framesSent: total,
            eventsHandled: parts.engine.statistics.eventsHandled,
            conflictReruns: parts.engine.statistics.conflictReruns,
            framesRejected: parts.gateway.statistics.framesRejected,
            seconds: elapsed.timeInterval,
            emulatorSeconds: generating.timeInterval,
            cpuSeconds: after.cpuSeconds - before.cpuSeconds,
            residentAtStart: residentAtStart,
            peakResident: after.peakResidentBytes,
            chatsKnown: parts.engine.worldModel.chats.count
        )
    }

    /// The runtime's configuration, with the emulator's curators on the roster, as a
    /// real deployment would have them.
    private static func runtimeYAML(port: Int, store: String, roster: [String]) -> String {
        """
        server:
          url: ws://127.0.0.1:\(port)
        auth:
          keycloak:
            token_url: http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token
            client_id: chatbots
            client_secret: chatbots-secret
        service_account_id: 1000
        store:
          path: \(store)
        engine:
          curators: [\(roster.joined(separator: ", "))]
        """
    }
}

/// What one bench run measured.
struct BenchResult: Sendable {
    var framesSent: Int
    var eventsHandled: Int
    /// Handler runs repeated because another chat's commit changed state they had read.
    var conflictReruns: Int
    var framesRejected: Int
    var seconds: Double
    /// Time spent inside the emulator's generator (same process, same cores).
    var emulatorSeconds: Double
    var cpuSeconds: Double
    var residentAtStart: Int?
    var peakResident: Int
    var chatsKnown: Int

    func report(bot: BenchBotKind, window: Int, store: String) -> String {
        let rate = Double(eventsHandled) / max(seconds, 1e-9)
        let cpuPerThousand = cpuSeconds / Double(max(eventsHandled, 1)) * 1_000
        return """
        chatbots bench — bot: \(bot.rawValue), window: \(window) frames, store: \(store)
          frames sent:        \(framesSent) (\(framesRejected) rejected)
          events handled:     \(eventsHandled) in \(String(format: "%.2f", seconds)) s, \(chatsKnown) chats known, \(conflictReruns) handler reruns
          throughput:         \(String(format: "%.0f", rate)) events/s
          emulator share:     \(String(format: "%.2f", emulatorSeconds)) s generating traffic in this process
          CPU:                \(String(format: "%.2f", cpuSeconds)) s user+system, \(String(format: "%.1f", cpuPerThousand * 1_000)) ms per 1k events (runtime and emulator)
          memory:             \(residentAtStart.map(\.mebibytes) ?? "?") resident at start, \(peakResident.mebibytes) peak (runtime and emulator)
        """
    }
}

extension BenchBotKind: ExpressibleByArgument {}
