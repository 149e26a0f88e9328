import ArgumentParser
import BenchBots
import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation
import Logging

/// `chatbots bench`: events per second through the whole runtime — socket, decoding,
/// engine, bots, SQLite commit — against the emulator in the same process.
///
/// By default the emulator generates its usual traffic as fast as the runtime takes it,
/// but never more than `--window` frames ahead of what the runtime has read, so the
/// figure is what the runtime sustains, not how fast a queue fills. The clock runs from
/// the first frame generated until the last event is handled and committed.
///
/// With `--rate`, the emulator generates that many steps per second for `--seconds`
/// instead, and the report adds the latency from each chat's `new_chat` frame leaving
/// the emulator to the emulator receiving the chat's assignment (the built-in bots).
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

    @Option(
        help:
            "The bots to run: none (world model and commit only), noop (a handler that returns), state (a counter per chat written on every event), builtin (the three built-in bots)."
    )
    var bot: BenchBotKind = .noop

    @Option(help: "Frames the emulator may run ahead of what the runtime has read.")
    var window = 5_000

    @Option(help: "Clients in the generated world (each may have up to two open chats).")
    var clients = 2_000

    @Option(help: "The SQLite file; by default a new one in a temporary folder, removed afterwards.")
    var store: String?

    @Option(
        help:
            "Keep the store in PostgreSQL instead: postgres://user@host:port/database (the password in $CHATBOTS_POSTGRES_PASSWORD); a new schema there, dropped afterwards."
    )
    var postgres: String?

    @Option(help: "Seed of the generated traffic.")
    var seed: UInt64 = 1

    @Option(help: "Generate this many traffic steps per second (about one event each) instead of as fast as the runtime reads, and report latencies.")
    var rate: Double?

    @Option(help: "With --rate: how long to generate traffic.")
    var seconds = 10.0

    @Option(help: "Delay each answer of the emulator's backend by this many milliseconds, as a real backend over a network does.")
    var backendDelayMs = 0

    @Option(help: "Spread the backend's answer delay over --backend-delay-ms ± this many milliseconds.")
    var backendJitterMs = 0

    @Option(help: "delivery.max_in_flight of the runtime: chat actions sent at once (1 sends one at a time).")
    var maxInFlight = DeliveryLimits().maxInFlight

    func validate() throws {
        guard backendDelayMs >= 0, backendJitterMs >= 0 else {
            throw ValidationError("--backend-delay-ms and --backend-jitter-ms must be 0 or more")
        }
        guard (1...1_024).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be from 1 to 1024, not \(maxInFlight)") }
        guard events > 0 else { throw ValidationError("--events must be at least 1, not \(events)") }
        guard window > 0 else { throw ValidationError("--window must be at least 1, not \(window)") }
        guard clients > 0 else { throw ValidationError("--clients must be at least 1, not \(clients)") }
        if let rate, !(rate > 0 && rate <= 1_000_000) {
            throw ValidationError("--rate must be more than 0 and at most 1000000 steps per second, not \(rate)")
        }
        guard seconds > 0, seconds <= 3_600 else { throw ValidationError("--seconds must be more than 0 and at most 3600, not \(seconds)") }
    }

    func run() async throws {
        let logger = Logger(label: "chatbots.bench", level: .warning)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storePath = store ?? folder.appendingPathComponent("bench.sqlite").path
        let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let storeSection =
            postgres.map { "store:\n  postgres:\n    url: \($0)\n    schema: \(schema)\n    tls: disable\n" }
            ?? "store:\n  path: \(storePath)\n"
        let storeName = postgres.map { "\($0) (schema \(schema))" } ?? storePath

        let emulatorConfiguration = EmulatorConfiguration(
            port: 0, seed: seed, world: .init(clients: clients, curators: max(6, clients / 50)),
            faults: FaultCommand(
                delayMilliseconds: backendDelayMs > 0 ? backendDelayMs : nil, jitterMilliseconds: backendJitterMs > 0 ? backendJitterMs : nil
            )
        )
        let result = try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            let roster = (1...emulatorConfiguration.world.curators).map { "curator-\($0)" }
            let configuration = try ConfigLoader.parse(
                emulatorConfiguration.runtimeYAML(port: port) + storeSection + Self.runtimeYAML(roster: roster, maxInFlight: maxInFlight),
                file: "bench", environment: [:]
            )
            let runtime = BotRuntime(configuration: configuration, bots: try bot.bots, logger: logger)
            return try await withThrowingTaskGroup(of: BenchResult?.self) { group in
                group.addTask {
                    try await runtime.run()
                    return nil
                }
                defer { group.cancelAll() }
                guard let parts = await runtime.waitUntilStarted() else { throw CancellationError() }
                await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                if let rate {
                    return try await measureAtRate(rate, emulator: emulator, parts: parts)
                }
                return await measure(emulator: emulator, parts: parts)
            }
        }
        if let postgres { await Self.dropSchema(schema, at: postgres, logger: logger) }
        let backend = backendDelayMs > 0 ? ", backend answers \(backendDelayMs) ± \(backendJitterMs) ms, max_in_flight \(maxInFlight)" : ""
        print(
            result.report(bot: bot, pacing: (rate.map { "\($0) steps/s for \(seconds) s" } ?? "window \(window) frames") + backend, store: storeName))
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
        return BenchResult(
            parts: parts, framesSent: total, elapsed: elapsed, generating: generating, usageBefore: before, residentAtStart: residentAtStart
        )
    }

    /// Generates traffic at a fixed rate, waits until everything is handled and every
    /// action delivered, then times the chats from opening to assignment.
    private func measureAtRate(_ rate: Double, emulator: Emulator, parts: BotRuntime.Parts) async throws -> BenchResult {
        let before = ProcessUsage.now()
        let residentAtStart = ProcessUsage.residentBytes()
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = Date()
        let end = started + .seconds(seconds)
        var generating = Duration.zero
        var sent = 0
        var next = started
        var due = 0.0
        var peakOutbox = 0
        var lastSample = started
        // Like the emulator's own traffic loop: wake every 10 ms, run the steps due.
        while next < end {
            next += .milliseconds(10)
            try await clock.sleep(until: next)
            due += rate / 100
            let step = clock.now
            while due >= 1 {
                due -= 1
                sent += emulator.generate(steps: 1)
            }
            generating += clock.now - step
            if clock.now - lastSample >= .milliseconds(250) {
                // The outbox's depth as the traffic runs: flat when delivery keeps up.
                lastSample = clock.now
                peakOutbox = max(peakOutbox, try await parts.store.pendingActionCount())
            }
        }
        let total = sent
        let outboxAtEnd = try await parts.store.pendingActionCount()
        await parts.gateway.waitUntil { _, counters in counters.framesReceived >= total }
        await parts.engine.waitUntilIdle()
        let elapsed = clock.now - started
        // The running delivery empties the outbox; the bench only watches.
        while try await parts.store.pendingActionCount() > 0 {
            try await clock.sleep(for: .milliseconds(20))
        }
        let deliveredIn = clock.now - started
        var result = BenchResult(
            parts: parts, framesSent: total, elapsed: elapsed, generating: generating, usageBefore: before, residentAtStart: residentAtStart
        )
        result.delivery = DeliveryFigures(
            delivered: parts.delivery.statistics.delivered, seconds: deliveredIn.timeInterval, peakOutbox: max(peakOutbox, outboxAtEnd),
            outboxAtEnd: outboxAtEnd
        )
        let actions = emulator.record.appliedActions.map { (path: $0.path, receivedAt: $0.receivedAt) }
        result.assignmentLatency = LatencySummary.openingToAssignment(opened: emulator.chatsOpened, actions: actions)
        result.steadyAssignmentLatency = LatencySummary.openingToAssignment(
            opened: emulator.chatsOpened, actions: actions, since: startedAt.addingTimeInterval(1)
        )
        return result
    }

    /// The runtime's configuration past the emulator's own sections, with the
    /// emulator's curators on the roster, as a real deployment would have them.
    /// Drops the bench's schema.
    private static func dropSchema(_ schema: String, at url: String, logger: Logger) async {
        do {
            let section = PostgresSection(url: try PostgresAddress(parsing: url), schema: schema, tls: .disable)
            let store = try await PostgresStore.open(section, password: ProcessInfo.processInfo.environment[section.passwordEnv], logger: logger)
            try await store.dropSchema()
            await store.close()
        } catch {
            logger.warning("the bench's schema \(schema) could not be dropped: \(error)")
        }
    }

    private static func runtimeYAML(roster: [String], maxInFlight: Int) -> String {
        """
        engine:
          curators: [\(roster.joined(separator: ", "))]
        delivery:
          max_in_flight: \(maxInFlight)
        """
    }
}

/// What one bench run measured.
struct BenchResult: Sendable {
    var framesSent: Int
    var eventsHandled: Int
    /// Handlers that threw, failed a state read or write, or ran past their budget.
    var handlerFailures: Int
    var framesRejected: Int
    var seconds: Double
    /// Time spent inside the emulator's generator (same process, same cores).
    var emulatorSeconds: Double
    var cpuSeconds: Double
    var residentAtStart: Int?
    var peakResident: Int
    var chatsKnown: Int
    /// With `--rate`: from a chat's `new_chat` frame to its assignment arriving.
    var assignmentLatency: LatencySummary?
    /// The same, for chats opened after the first second: the runtime warmed up.
    var steadyAssignmentLatency: LatencySummary?
    /// With `--rate`: how delivery kept up.
    var delivery: DeliveryFigures?

    /// What the runtime's parts counted, and the process's usage since `usageBefore`.
    init(
        parts: BotRuntime.Parts, framesSent: Int, elapsed: Duration, generating: Duration,
        usageBefore: ProcessUsage, residentAtStart: Int?
    ) {
        let after = ProcessUsage.now()
        self.framesSent = framesSent
        eventsHandled = parts.engine.statistics.eventsHandled
        handlerFailures = parts.engine.statistics.handlerFailures.values.reduce(0, +)
        framesRejected = parts.gateway.statistics.framesRejected
        seconds = elapsed.timeInterval
        emulatorSeconds = generating.timeInterval
        cpuSeconds = after.cpuSeconds - usageBefore.cpuSeconds
        self.residentAtStart = residentAtStart
        peakResident = after.peakResidentBytes
        chatsKnown = parts.engine.worldModel.chats.count
    }

    func report(bot: BenchBotKind, pacing: String, store: String) -> String {
        let rate = Double(eventsHandled) / max(seconds, 1e-9)
        let cpuPerThousand = cpuSeconds / Double(max(eventsHandled, 1)) * 1_000
        return """
            chatbots bench — bot: \(bot.rawValue), \(pacing), store: \(store)
              frames sent:        \(framesSent) (\(framesRejected) rejected)
              events handled:     \(eventsHandled) in \(String(format: "%.2f", seconds)) s, \(chatsKnown) chats known, \(handlerFailures) handler failures
              throughput:         \(String(format: "%.0f", rate)) events/s
              emulator share:     \(String(format: "%.2f", emulatorSeconds)) s generating traffic in this process
              CPU:                \(String(format: "%.2f", cpuSeconds)) s user+system, \(String(format: "%.1f", cpuPerThousand * 1_000)) ms per 1k events (runtime and emulator)
              memory:             \(residentAtStart.map(\.mebibytes) ?? "?") resident at start, \(peakResident.mebibytes) peak (runtime and emulator)
            """ + (assignmentLatency.map { "\n  new_chat → assigned: \($0.report)" } ?? "")
                + (steadyAssignmentLatency.map { "\n    after the first second: \($0.report)" } ?? "")
                + (delivery.map { "\n  delivery:           \($0.report)" } ?? "")
    }
}

/// How delivery kept up in a paced bench run.
struct DeliveryFigures: Sendable {
    var delivered: Int
    /// From the first step to the outbox empty.
    var seconds: Double
    /// The most actions pending at a sample (every 250 ms) while traffic ran.
    var peakOutbox: Int
    /// Pending when the traffic stopped.
    var outboxAtEnd: Int

    var report: String {
        let rate = Double(delivered) / max(seconds, 1e-9)
        return
            "\(delivered) actions, \(String(format: "%.0f", rate)) actions/s until the outbox was empty; outbox peak \(peakOutbox), \(outboxAtEnd) when traffic stopped"
    }
}

extension BenchBotKind: ExpressibleByArgument {}
