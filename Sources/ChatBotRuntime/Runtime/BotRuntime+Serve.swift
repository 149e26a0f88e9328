import ChatBotKit
import Logging
import ServiceLifecycle
import UnixSignals

extension BotRuntime {
    /// Loads a configuration file, makes its bots from `registry`, and runs the runtime
    /// until SIGINT or SIGTERM, then drains gracefully: the whole `main` of a bot
    /// program.
    ///
    /// ```swift
    /// var registry = BotRegistry.builtIn
    /// registry.register("welcome") { options in
    ///     WelcomeBot(name: options.name, settings: try options.decode(WelcomeBot.Settings.self))
    /// }
    /// try await BotRuntime.serve(configurationFile: "bots.yaml", registry: registry, logger: Logger(label: "bots"))
    /// ```
    ///
    /// - Throws: ``ConfigError`` naming the file, key and line when the file or a bot's
    ///   options are wrong; otherwise what stopped the runtime.
    public static func serve(configurationFile path: String, registry: BotRegistry, logger: Logger) async throws {
        let configuration = try ConfigLoader.load(path: path)
        let bots = try registry.makeBots(configuration.bots, file: path)
        let runtime = BotRuntime(configuration: configuration, bots: bots, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
