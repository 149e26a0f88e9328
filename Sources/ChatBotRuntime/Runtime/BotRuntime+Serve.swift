import ChatBotKit
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

extension BotRuntime {
    /// Loads a configuration file, makes its bots from `registry`, and runs the runtime
    /// until SIGINT or SIGTERM, then drains gracefully: the whole `main` of a bot
    /// program. It serves `/metrics`, `/health` and `/ready` unless the file says
    /// `monitoring.enabled: false`, and reloads the file on SIGHUP.
    ///
    /// ```swift
    /// var registry = BotRegistry.builtIn
    /// registry.register("welcome") { options in
    ///     WelcomeBot(name: options.name, settings: try options.decode(WelcomeBot.Settings.self))
    /// }
    /// try await BotRuntime.serve(configurationFile: "bots.yaml", registry: registry, logger: Logger(label: "bots"))
    /// ```
    ///
    /// A program's `main.swift` may rather call ``serveAndExit(configurationFile:registry:logger:)``,
    /// which prints a bad configuration's error instead of crashing on it:
    ///
    /// ```swift
    /// await BotRuntime.serveAndExit(configurationFile: "bots.yaml", registry: registry, logger: Logger(label: "bots"))
    /// ```
    ///
    /// - Throws: ``ConfigError`` naming the file, key and line when the file or a bot's
    ///   options are wrong; otherwise what stopped the runtime.
    ///
    /// - Parameters:
    ///   - logger: The log; by default one made from the file's `logging:` section
    ///     (level and text or JSON format).
    ///   - dryRun: Shadow mode: decide for real, deliver nothing (see ``init(configuration:bots:logger:environment:dryRun:)``).
    ///   - recordPath: Append every received frame to this JSON Lines file.
    ///   - logLevel: Overrides the file's `logging.level` for the log made from the file.
    public static func serve(
        configurationFile path: String, registry: BotRegistry, logger: Logger? = nil, logLevel: Logger.Level? = nil,
        dryRun: Bool = false, recordPath: String? = nil
    ) async throws {
        let configuration = try ConfigLoader.load(path: path)
        let logger =
            logger
            ?? {
                var made = configuration.logging.makeLogger(label: "chatbots")
                if let logLevel { made.logLevel = logLevel }
                return made
            }()
        let bots = try registry.makeBots(configuration.bots, file: path)
        let runtime = BotRuntime(
            configuration: configuration, bots: bots, logger: logger, dryRun: dryRun, recordPath: recordPath,
            monitoringByDefault: true, reloadOnHangup: ReloadSource(configurationFile: path, registry: registry)
        )
        let group = ServiceGroup(
            configuration: .init(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// ``serve(configurationFile:registry:logger:)``, then exits: with status 0 after a
    /// graceful stop, 2 after printing a configuration error (file, line, key) to
    /// standard error, 1 after printing any other error that stopped the runtime.
    public static func serveAndExit(configurationFile path: String, registry: BotRegistry, logger: Logger? = nil) async -> Never {
        do {
            try await serve(configurationFile: path, registry: registry, logger: logger)
            exit(0)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("error: the runtime stopped: \(error)\n".utf8))
            exit(1)
        }
    }
}
