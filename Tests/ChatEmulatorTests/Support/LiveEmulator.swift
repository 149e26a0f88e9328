import ChatEmulator
import Foundation
import Logging

/// Runs an emulator on a free loopback port for the duration of `body`.
func withEmulator<T: Sendable>(
    _ configuration: EmulatorConfiguration = EmulatorConfiguration(),
    _ body: @Sendable (Emulator, EmulatorEndpoints) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    var logger = Logger(label: "test.emulator")
    logger.logLevel = .warning
    let emulator = try Emulator(configuration: configuration, logger: logger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await emulator.run()
            return nil
        }
        let port = try await emulator.waitUntilListening()
        let result = try await body(emulator, EmulatorEndpoints(port: port, configuration: configuration))
        group.cancelAll()
        return result
    }
}

/// The addresses of a running emulator.
struct EmulatorEndpoints: Sendable {
    let port: Int
    let configuration: EmulatorConfiguration

    var base: String { "http://127.0.0.1:\(port)" }
    var tokenURL: String { "\(base)/realms/\(configuration.realm)/protocol/openid-connect/token" }

    func socketURL(token: String) -> String {
        "ws://127.0.0.1:\(port)/connect/?token=\(token)"
    }
}
