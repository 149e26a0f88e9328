import ChatEmulator
import Foundation

/// Runs an emulator on a free loopback port for the duration of `body`.
func withEmulator<T: Sendable>(
    _ configuration: EmulatorConfiguration = EmulatorConfiguration(),
    _ body: @Sendable (Emulator, EmulatorEndpoints) async throws -> T
) async throws -> T {
    try await Emulator.withRunning(configuration) { emulator, port in
        try await body(emulator, EmulatorEndpoints(port: port, configuration: emulator.configuration))
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
