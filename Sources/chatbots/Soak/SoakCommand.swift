import ArgumentParser
import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Logging

/// `chatbots soak`: months of a busy desk through the real runtime, in minutes.
///
/// The runtime (socket, engine, the three built-in bots, SQLite, delivery, retention,
/// monitoring) and the emulator run in this process on one virtual clock that the soak
/// moves a minute at a time: the events' arrival, the bots' timers, delivery's expiry,
/// retention and the `created_at` of the emulator's messages all follow it. Each
/// simulated minute the emulator generates that minute's share of the day's traffic,
/// and the clock moves on once the runtime has read it. At every report it measures
/// the process's memory, the store's size, a burst at full speed and `/metrics`.
struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Drive months of a busy desk through the runtime in accelerated time, reporting every week.",
        discussion: """
            Build in release mode for figures worth writing down:
              swift build -c release --product chatbots
              .build/release/chatbots soak --days 90 --chats-per-day 2000
            """
    )

    @Option(help: "Simulated days.")
    var days = 90

    @Option(help: "New chats a day (the generated traffic makes about 20 events a chat).")
    var chatsPerDay = 2_000

    @Option(help: "Report every this many simulated days.")
    var reportEvery = 7

    @Option(help: "Frames of the full-speed burst measured at each report.")
    var burst = 20_000

    @Option(help: "Clients in the generated world (each may have up to two open chats).")
    var clients = 500

    @Option(help: "Seed of the generated traffic.")
    var seed: UInt64 = 1

    @Option(help: "The SQLite file; by default a new one in a temporary folder, removed afterwards.")
    var store: String?

    @Option(help: "The runtime's log level (to standard error); the generated traffic makes many SLA alerts, each logged at error.")
    var logLevel: Logger.Level = .critical

    func validate() throws {
        guard (1...3_650).contains(days) else { throw ValidationError("--days must be from 1 to 3650, not \(days)") }
        guard (1...1_000_000).contains(chatsPerDay) else { throw ValidationError("--chats-per-day must be from 1 to 1000000, not \(chatsPerDay)") }
        guard reportEvery >= 1 else { throw ValidationError("--report-every must be at least 1 day, not \(reportEvery)") }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1 frame, not \(burst)") }
        guard clients >= 1 else { throw ValidationError("--clients must be at least 1, not \(clients)") }
    }

    func run() async throws {
        let reports = try await soak { print($0.line) }
        print(SoakReport.verdict(reports, retentionDays: 30))
    }

    /// Runs the soak; returns every report, each also given to `onReport` as it is made.
    func soak(onReport: @escaping @Sendable (SoakReport) -> Void) async throws -> [SoakReport] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storePath = store ?? folder.appendingPathComponent("soak.sqlite").path
        let clock = VirtualClock(start: Self.start)
        var emulatorConfiguration = EmulatorConfiguration(
            port: 0, seed: seed, world: .init(clients: clients, curators: max(10, clients / 12))
        )
        emulatorConfiguration.now = { clock.now() }
        emulatorConfiguration.historyKept = 10_000
        let curators = emulatorConfiguration.world.curators
        let emulatorSections = emulatorConfiguration
        print("soak: \(days) days of \(chatsPerDay) new chats a day, \(clients) clients, \(curators) curators; a report every \(reportEvery) days")
        let plan = SoakPlan(days: days, stepsPerDay: chatsPerDay * SoakPlan.stepsPerChat, reportEvery: reportEvery, burst: burst)
        return try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            let yaml = emulatorSections.runtimeYAML(port: port) + Self.runtimeYAML(store: storePath, curators: curators)
            let configuration = try ConfigLoader.parse(yaml, file: "soak", environment: [:])
            let runtime = BotRuntime(
                configuration: configuration, bots: try BotRegistry.builtIn.makeBots(configuration.bots, file: "soak"),
                logger: Logger(label: "chatbots.soak", level: logLevel), clock: clock
            )
            return try await withThrowingTaskGroup(of: [SoakReport]?.self) { group in
                group.addTask {
                    try await runtime.run()
                    return nil
                }
                defer { group.cancelAll() }
                guard let parts = await runtime.waitUntilStarted(), let monitoringPort = await runtime.waitForMonitoringPort() else {
                    throw CancellationError()
                }
                await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
                let driver = SoakDriver(
                    plan: plan, clock: clock, emulator: emulator, parts: parts, storePath: storePath,
                    metricsURL: "http://127.0.0.1:\(monitoringPort)/metrics"
                )
                return try await driver.run(onReport: onReport)
            }
        }
    }

    /// A Monday at midnight (UTC): the desk's hours begin on the first morning.
    static let start = Date(timeIntervalSince1970: 1_799_020_800)

    /// The runtime of a busy desk: the three built-in bots, every directory route, the
    /// default retention (pruned every ten simulated minutes instead of every one: the
    /// soak's minutes pass in a millisecond), monitoring on a free port.
    static func runtimeYAML(store: String, curators: Int) -> String {
        """
        store:
          path: \(store)
        monitoring:
          enabled: true
          port: 0
        retention:
          prune_every: 10m
        directory:
          curators_path: /api/curators/
          chat_details_path: /api/chats/{chat_id}/
          open_chats_path: /api/chats/?status=open
        engine:
          curators: [\((1...curators).map { "curator-\($0)" }.joined(separator: ", "))]
        bots:
          - type: auto_assign
            options: {strategy: least_loaded, max_open_chats: 60}
          - type: after_hours
            options:
              hours:
                time_zone: UTC
                week: {mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00", fri: "09:00-18:00"}
              replies: {en: "We are closed; back {next_open}.", ru: "Мы закрыты; вернёмся {next_open}."}
              default_language: en
          - type: sla_alerts
            options:
              policies:
                - {kind: first_response, warning: 5m, breach: 15m}
                - {kind: unread, warning: 10m, breach: 30m}
        """
    }
}

/// How the soak drives its days.
struct SoakPlan: Sendable {
    /// The generated traffic closes about one chat in twenty steps once the desk is
    /// full, so a day of `n` new chats is `20 n` steps (about one event each).
    static let stepsPerChat = 20

    var days: Int
    var stepsPerDay: Int
    var reportEvery: Int
    var burst: Int
}
