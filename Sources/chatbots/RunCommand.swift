import ArgumentParser
import ChatBotRuntime
import Foundation
import Logging

/// `chatbots run`: the runtime, until SIGINT or SIGTERM, then a graceful drain.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the bots against the configured backend until SIGINT or SIGTERM.",
        discussion: """
            Serves /metrics, /health and /ready on monitoring.host:port (127.0.0.1:9464 unless the \
            file says otherwise). SIGHUP reads the file again: a valid one takes effect on the next \
            event, a broken one is refused and the runtime goes on as it was.
            """
    )

    @Option(help: "The configuration file.")
    var config = "Config/chatbots.yaml"

    @Option(help: "Log level, over the config's logging.level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level?

    @Flag(help: "Shadow mode: connect and decide for real, deliver nothing; log each action instead. It keeps its state in a throwaway store.")
    var dryRun = false

    @Option(help: "Append every received frame, with its arrival time, to this JSON Lines file.")
    var record: String?

    func run() async throws {
        do {
            // The config's logging section decides the log; a level given here wins.
            try await BotRuntime.serve(configurationFile: config, registry: .builtIn, logLevel: logLevel, dryRun: dryRun, recordPath: record)
        } catch let error as ConfigError {
            throw fileProblem(error)
        }
    }
}
