import ArgumentParser
import ChatBotRuntime
import Foundation

/// `chatbots check`: validates a configuration file without connecting anywhere.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file without connecting."
    )

    @Option(help: "The configuration file.")
    var config = "Config/chatbots.yaml"

    func run() throws {
        let loaded: RuntimeConfiguration
        let leftOut: [String]
        do {
            (loaded, leftOut) = try ConfigLoader.loadLeavingOutUnset(path: config)
            _ = try BotRegistry.builtIn.makeBots(loaded.bots, file: config)
        } catch let error as ConfigError {
            throw fileProblem(error)
        }
        noteLeftOut(leftOut, by: "check")
        let auth =
            loaded.auth.keycloak.map { "Keycloak client \"\($0.clientID)\" at \($0.tokenURL)" }
            ?? "static token from $\(loaded.auth.staticTokenEnv ?? "")"
        let store =
            loaded.store.postgres.map { postgres in
                let password = ProcessInfo.processInfo.environment[postgres.passwordEnv]?.isEmpty == false ? "set" : "not set"
                return "PostgreSQL \(loaded.store.location), password from $\(postgres.passwordEnv) (\(password))"
            } ?? loaded.store.path
        let monitoring = loaded.monitoring
        let endpoint = monitoring.enabled == false ? "off" : "http://\(monitoring.host):\(monitoring.port) (/metrics, /health, /ready) with `run`"
        FileHandle.standardOutput.write(
            Data(
                """
                \(config): valid
                  server:  \(loaded.server.url)\(loaded.server.path)  (actions at \(loaded.server.apiBaseURL))
                  auth:    \(auth)
                  store:   \(store)
                  monitor: \(endpoint)
                  bots:    \(loaded.bots.isEmpty ? "none" : loaded.bots.map { "\($0.name) (\($0.type))" }.joined(separator: ", "))

                """.utf8))
    }
}
