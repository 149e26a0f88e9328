import ArgumentParser
import ChatBotRuntime
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `chatbots run`: the runtime, until SIGINT or SIGTERM, then a graceful drain.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the bots against the configured backend until SIGINT or SIGTERM."
    )

    @Option(help: "The configuration file.")
    var config = "Config/chatbots.yaml"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var logger = Logger(label: "chatbots")
        logger.logLevel = logLevel
        let runtime: BotRuntime
        do {
            let loaded = try ConfigLoader.load(path: config)
            let bots = try BotRegistry.builtIn.makeBots(loaded.bots, file: config)
            runtime = BotRuntime(configuration: loaded, bots: bots, logger: logger)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let group = ServiceGroup(
            configuration: .init(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
