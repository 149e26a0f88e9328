import ArgumentParser
import ChatBotRuntime
import Foundation
import Logging
import Synchronization
import WSClient

/// `chatbots conformance`: the gateway's WebSocket client, exactly as the gateway sets
/// it up, put through the Autobahn test suite's client cases by a fuzzing server
/// (`kosoku -m fuzzingserver`, see `Scripts/autobahn.sh`). Each case is echoed back,
/// as the suite expects of a client under test; the server writes the report.
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run the Autobahn client cases of a fuzzing server against the gateway's WebSocket client setup."
    )

    @Option(help: "The fuzzing server.")
    var server = "ws://127.0.0.1:9001"

    @Option(help: "The agent name in the server's report.")
    var agent = "chatbots"

    @Option(help: "Give up on one case after this many seconds.")
    var caseTimeout = 60

    func run() async throws {
        let logger = Logger(label: "chatbots.conformance", level: .critical)
        let client = GatewayConfiguration(serverURL: server).webSocketClientConfiguration
        let count = try await caseCount(client, logger: logger)
        print("\(count) cases on \(server)")
        var timedOut: [Int] = []
        for index in 1...max(count, 1) where count > 0 {
            let finished = await echoCase(index, client, logger: logger)
            if !finished { timedOut.append(index) }
            if index % 25 == 0 || index == count { print("  \(index)/\(count)") }
        }
        _ = try await WebSocketClient.connect(url: "\(server)/updateReports?agent=\(agent)", configuration: client, logger: logger) { _, _, _ in }
        print("report asked for\(timedOut.isEmpty ? "" : "; cases given up after \(caseTimeout) s: \(timedOut)")")
    }

    /// Asks the server how many cases it has; waits up to 30 s for it to listen (a
    /// fuzzing server takes a while to load its case files).
    private func caseCount(_ client: WebSocketClientConfiguration, logger: Logger) async throws -> Int {
        let count = LockedCount()
        var attempts = 0
        while true {
            do {
                _ = try await WebSocketClient.connect(url: "\(server)/getCaseCount", configuration: client, logger: logger) { inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1_024) {
                        if case .text(let text) = message { count.set(Int(text) ?? 0) }
                    }
                }
                if count.value > 0 { return count.value }
            } catch  where attempts < 60 {
                // Not listening yet.
            }
            attempts += 1
            guard attempts <= 60 else { throw ValidationError("no fuzzing server answered at \(server)") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Echoes one case's messages until the server closes; `false` if it timed out.
    private func echoCase(_ index: Int, _ client: WebSocketClientConfiguration, logger: Logger) async -> Bool {
        let url = "\(server)/runCase?case=\(index)&agent=\(agent)"
        let limit = client.maxFrameSize
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try? await WebSocketClient.connect(url: url, configuration: client, logger: logger) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: limit) {
                        switch message {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let buffer): try await outbound.write(.binary(buffer))
                        }
                    }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(caseTimeout))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}

/// The case count, set from inside the socket's handler.
private final class LockedCount: Sendable {
    private let stored = Mutex(0)

    func set(_ value: Int) {
        stored.withLock { $0 = value }
    }

    var value: Int {
        stored.withLock { $0 }
    }
}
