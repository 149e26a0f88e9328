import ArgumentParser
import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `chatbots demo`: the emulator with lively traffic and the three built-in bots, in one
/// process, printing what happens — event, decision, action — and a summary at the end.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch the built-in bots work against a local emulator with generated traffic.",
        discussion: """
            Runs until Ctrl-C, or for --duration. Nothing leaves this machine: the backend is
            an emulator in this process, the store a file in a temporary folder.
            """
    )

    @Option(help: "The configuration to run (its ${DEMO_...} values are filled in).")
    var config = "Config/demo.yaml"

    @Option(help: "How long to run, e.g. 90s or 5m; until Ctrl-C when not given.")
    var duration: String?

    @Option(help: "Generated traffic, in events per second.")
    var rate = 3.0

    @Option(help: "How long the desk stays closed after the start (rounded up to a whole minute), e.g. 60s.")
    var closedFor = "60s"

    @Option(help: "Seed of the generated traffic.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Print every event, or (--no-events) only what the bots decided and did.")
    var events = true

    func validate() throws {
        if let duration, ConfigDuration(parsing: duration) == nil {
            throw ValidationError("--duration \"\(duration)\" is not a duration: write e.g. 90s, 5m or 1h")
        }
        guard let closed = ConfigDuration(parsing: closedFor), closed.seconds <= 12 * 3_600 else {
            throw ValidationError("--closed-for \"\(closedFor)\" is not a duration of at most 12h: write e.g. 60s or 2m")
        }
        guard rate > 0, rate <= 1_000 else { throw ValidationError("--rate must be more than 0 and at most 1000, not \(rate)") }
    }

    func run() async throws {
        let console = DemoConsole(showEvents: events)
        let summary = try await runDemo(console: console)
        console.print(summary.text)
    }

    /// Runs the demo, telling its story on `console`; returns what happened.
    ///
    /// - Parameter until: Ends the demo when it returns, as `--duration` does (whichever
    ///   comes first); a test waits there for what it wants to see. It must return when
    ///   cancelled: the demo cancels it once the runtime has stopped for another reason.
    func runDemo(console: DemoConsole, until: (@Sendable () async -> Void)? = nil) async throws -> DemoSummary {
        let logger = Logger(label: "chatbots.demo") { _ in console.handler() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("demo.sqlite").path
        let opening = DemoHours(closedFor: ConfigDuration(parsing: closedFor) ?? 60, now: Date())

        let emulatorConfiguration = EmulatorConfiguration(port: 0, trafficRate: rate, seed: seed, world: .init(clients: 30, curators: 6))
        return try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            let environment = ProcessInfo.processInfo.environment.merging(
                [
                    "DEMO_PORT": "\(port)", "DEMO_STORE": store, "DEMO_HOURS": opening.hoursText,
                    "DEMO_CLIENT_SECRET": emulatorConfiguration.clientSecret,
                    "DEMO_ALERT_WEBHOOK": "http://127.0.0.1:\(port)/hooks/alerts",
                ], uniquingKeysWith: { _, demo in demo }
            )
            let loaded: RuntimeConfiguration
            let bots: [any Bot]
            do {
                loaded = try ConfigLoader.load(path: config, environment: environment)
                bots = try BotRegistry.builtIn.makeBots(loaded.bots, file: config)
            } catch let error as ConfigError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(2)
            }
            console.banner(
                port: port, rate: rate, bots: bots.map(\.name), store: store,
                desk: "closed until \(opening.opensText) UTC, then open (the after-hours bot answers until then)"
            )
            let runtime = BotRuntime(configuration: loaded, bots: bots, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: Logger(label: "chatbots.demo.lifecycle") { _ in SwiftLogNoOpLogHandler() }
                ))
            let started = ContinuousClock.now
            enum Ended { case runtime, timer }  // `timer`: --duration or `until`
            try await withThrowingTaskGroup(of: Ended.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return .runtime
                }
                if let duration = duration.flatMap(ConfigDuration.init(parsing:)) {
                    tasks.addTask {
                        try await Task.sleep(for: duration.duration)
                        await group.triggerGracefulShutdown()
                        return .timer
                    }
                }
                if let until {
                    tasks.addTask {
                        await until()
                        await group.triggerGracefulShutdown()
                        return .timer
                    }
                }
                // The runtime decides when the demo ends: after a signal or the timer,
                // once it has drained. Only then is a still-sleeping timer cancelled.
                while let ended = try await tasks.next(), ended != .runtime {}
                tasks.cancelAll()
            }
            return DemoSummary(
                seconds: (ContinuousClock.now - started).timeInterval, record: emulator.record,
                engine: runtime.parts?.engine.statistics, delivery: runtime.parts?.delivery.statistics,
                outboxPending: try? await runtime.parts?.store.pendingActionCount()
            )
        }
    }
}

/// Opening hours for the demo desk: closed now, open from a whole minute at least
/// `closedFor` from now, for eight hours, every day (UTC).
struct DemoHours {
    let opens: Date

    init(closedFor: ConfigDuration, now: Date) {
        let earliest = now.addingTimeInterval(closedFor.timeInterval)
        opens = Date(timeIntervalSince1970: (earliest.timeIntervalSince1970 / 60).rounded(.up) * 60)
    }

    var opensText: String {
        Self.clockTime(opens)
    }

    /// `HH:MM-HH:MM` for the calendar's week.
    var hoursText: String {
        "\(Self.clockTime(opens))-\(Self.clockTime(opens.addingTimeInterval(8 * 3_600)))"
    }

    static func clockTime(_ date: Date) -> String {
        let minutes = Int(date.timeIntervalSince1970 / 60) % 1_440
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}
