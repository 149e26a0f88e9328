import ArgumentParser
import ChatBotRuntime
import Foundation
import Logging

/// `chatbots run`: the runtime, until SIGINT or SIGTERM, then a graceful drain.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the bots against the configured backend until SIGINT or SIGTERM."
    )

    @Option(help: "The configuration file.")
    var config = "Config/chatbots.yaml"

    @Option(help: "Log level, over the config's logging.level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level?

    @Flag(help: "Shadow mode: connect and decide for real, deliver nothing; log each action instead. Give it a store of its own.")
    var dryRun = false

    @Option(help: "Append every received frame, with its arrival time, to this JSON Lines file.")
    var record: String?

    func run() async throws {
        do {
            // The config's logging section decides the log, unless a level is given here.
            var logger: Logger?
            if let logLevel {
                logger = try ConfigLoader.load(path: config).logging.makeLogger(label: "chatbots")
                logger?.logLevel = logLevel
            }
            try await BotRuntime.serve(configurationFile: config, registry: .builtIn, logger: logger, dryRun: dryRun, recordPath: record)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
