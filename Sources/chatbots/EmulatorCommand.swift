import ArgumentParser
import ChatEmulator
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `chatbots emulator`: a local backend to run bots, tests and demos against.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local backend that speaks the chat protocol: tokens, WebSocket, actions, faults.",
        discussion: """
            Get a token, then connect:
              curl -s -d grant_type=client_credentials -d client_id=chatbots -d client_secret=chatbots-secret \\
                http://127.0.0.1:8080/realms/support/protocol/openid-connect/token
              websocat "ws://127.0.0.1:8080/connect/?token=ACCESS_TOKEN"
            Watch and steer it while it runs:
              curl http://127.0.0.1:8080/emulator/state
              curl http://127.0.0.1:8080/emulator/record
              curl -d '{"fail_actions": {"count": 2, "status": 500}}' http://127.0.0.1:8080/emulator/faults
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one and prints it.")
    var port = 8080

    @Option(help: "Keycloak realm of the token endpoint.")
    var realm = "support"

    @Option(help: "Client id of the service account.")
    var clientID = "chatbots"

    @Option(help: "Client secret of the service account (or set EMULATOR_CLIENT_SECRET).")
    var clientSecret: String?

    @Option(help: "User id of the service account in chats.")
    var serviceAccount = "1000"

    @Option(help: "Token lifetime in seconds.")
    var tokenLifetime = 300

    @Flag(help: "Refuse bad or expired tokens at the handshake with 403, instead of accepting and closing with 4001.")
    var refuseBadTokens = false

    @Flag(help: "Refuse sockets without an Origin header with 403, as Channels' origin validator does.")
    var requireOrigin = false

    @Option(help: "Generated traffic in events per second; 0 for none.")
    var rate = 2.0

    @Option(help: "Seed of generated traffic and quirks.")
    var seed: UInt64 = 1

    @Option(help: "Clients in the generated world.")
    var clients = 40

    @Option(help: "Curators in the generated world (curator-1, curator-2, ...).")
    var curators = 6

    @Flag(help: "Send frames in every variant shape the protocol allows, with a malformed frame now and then.")
    var quirks = false

    @Option(help: "A JSON Lines scenario to play when the first socket connects.")
    var scenario: String?

    @Option(help: "Delay every HTTP answer by this many milliseconds.")
    var delayMs = 0

    @Option(help: "Spread each answer's delay over --delay-ms ± this many milliseconds.")
    var jitterMs = 0

    @Option(help: "Fail this share (0 to 1) of action requests with 500, at random.")
    var failRate = 0.0

    @Option(help: "Fail the next action requests: COUNT[:STATUS[:RETRY_AFTER]], e.g. 2:500 or 1:429:3.")
    var failActions: ActionFailureArgument?

    @Flag(help: "Start silent: sockets open, then nothing is read or written (pings go unanswered), as on a half-open connection.")
    var silent = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65_535).contains(port) else {
            throw ValidationError("--port must be from 0 to 65535, not \(port)")
        }
        guard tokenLifetime > 0 else {
            throw ValidationError("--token-lifetime must be at least 1 second, not \(tokenLifetime)")
        }
        guard clients > 0 else {
            throw ValidationError("--clients must be at least 1, not \(clients)")
        }
        guard curators > 0 else {
            throw ValidationError("--curators must be at least 1, not \(curators)")
        }
        guard rate >= 0, rate.isFinite else {
            throw ValidationError("--rate must be 0 or more events per second, not \(rate)")
        }
        guard delayMs >= 0 else {
            throw ValidationError("--delay-ms must be 0 or more, not \(delayMs)")
        }
        guard jitterMs >= 0 else {
            throw ValidationError("--jitter-ms must be 0 or more, not \(jitterMs)")
        }
        guard (0...1).contains(failRate) else {
            throw ValidationError("--fail-rate must be from 0 to 1, not \(failRate)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "chatbots.emulator")
        logger.logLevel = logLevel
        let secret = clientSecret ?? ProcessInfo.processInfo.environment["EMULATOR_CLIENT_SECRET"] ?? "chatbots-secret"
        let configuration = EmulatorConfiguration(
            host: host, port: port, realm: realm, clientID: clientID, clientSecret: secret,
            serviceAccountID: serviceAccount, tokenLifetime: .seconds(tokenLifetime),
            refusesBadTokensAtHandshake: refuseBadTokens, requiresOrigin: requireOrigin,
            trafficRate: rate, seed: seed, world: .init(clients: clients, curators: curators), quirks: quirks, scenarioPath: scenario,
            faults: FaultCommand(
                failActions: failActions?.failure, delayMilliseconds: delayMs > 0 ? delayMs : nil, silent: silent ? true : nil,
                jitterMilliseconds: jitterMs > 0 ? jitterMs : nil, failRate: failRate > 0 ? failRate : nil
            )
        )
        let emulator: Emulator
        do {
            emulator = try Emulator(configuration: configuration, logger: logger)
        } catch let error as Scenario.ParseError {
            throw ValidationError("--scenario: \(error)")
        }
        let group = ServiceGroup(
            configuration: .init(services: [emulator], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                let port = try await emulator.waitUntilListening()
                printBanner(port: port, secret: secret)
            }
            try await tasks.waitForAll()
        }
    }

    private func printBanner(port: Int, secret: String) {
        let base = "http://\(host):\(port)"
        FileHandle.standardOutput.write(
            Data(
                """
                emulator listening on port \(port)
                  token:     POST \(base)/realms/\(realm)/protocol/openid-connect/token  (client_id=\(clientID), client_secret=\(secret == "chatbots-secret" ? secret : "<as given>"))
                  websocket: ws://\(host):\(port)/connect/?token=ACCESS_TOKEN
                  actions:   \(base)/api/chats/{chat_id}/...   alerts: POST \(base)/hooks/alerts
                  watch:     \(base)/emulator/state  \(base)/emulator/record
                  traffic:   \(rate == 0 ? "none" : "\(rate) events/s")\(quirks ? ", with quirks" : "")

                """.utf8))
    }
}

/// `COUNT[:STATUS[:RETRY_AFTER]]` for `--fail-actions`.
struct ActionFailureArgument: ExpressibleByArgument {
    let failure: FaultCommand.ActionFailure

    init?(argument: String) {
        let parts = argument.split(separator: ":").map { Int($0) }
        guard (1...3).contains(parts.count), let count = parts[0], count > 0 else { return nil }
        let status = parts.count > 1 ? parts[1] : 500
        let retryAfter = parts.count > 2 ? parts[2] : nil
        guard let status, (400...599).contains(status) else { return nil }
        if parts.count > 2, retryAfter == nil { return nil }
        failure = FaultCommand.ActionFailure(count: count, status: status, retryAfter: retryAfter)
    }
}

// Both sides are dependencies, and this is an executable, not a library, so no other
// module can declare the same conformance: the rule's worry does not arise here.
// swift-format-ignore: AvoidRetroactiveConformances
extension Logger.Level: @retroactive ExpressibleByArgument {}
