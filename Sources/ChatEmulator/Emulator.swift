import ChatBotKit
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local backend that speaks PROTOCOL.md for real, on one port: Keycloak's token
/// endpoint, the WebSocket `/connect/`, the action routes, a webhook sink for alerts,
/// generated or scripted traffic, and fault knobs.
///
/// It is a `Service`: run it in a `ServiceGroup`, or on its own in a task.
///
/// ```swift
/// let emulator = try Emulator(configuration: .init(port: 0, trafficRate: 20), logger: logger)
/// async let running: Void = emulator.run()
/// let port = try await emulator.waitUntilListening()
/// // POST http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token, then
/// // connect to ws://127.0.0.1:\(port)/connect/?token=...
/// ```
public final class Emulator: Service, Sendable {
    /// What it was started with.
    public var configuration: EmulatorConfiguration { core.configuration }

    private let core: EmulatorCore
    private let scenario: Scenario?
    private let logger: Logger
    private let listening = ListeningPort()

    /// Creates an emulator; reads the scenario file now, so a bad one fails here with
    /// its file and line.
    public init(configuration: EmulatorConfiguration, logger: Logger) throws {
        core = EmulatorCore(configuration: configuration)
        scenario = try configuration.scenarioPath.map { try Scenario(contentsOf: $0) }
        self.logger = logger
    }

    /// Serves until cancelled or until graceful shutdown.
    public func run() async throws {
        let router = Router(context: EmulatorRequestContext.self)
        TokenRoutes(core: core).add(to: router)
        ActionRoutes(core: core).add(to: router)
        ControlRoutes(core: core).add(to: router)
        let endpoint = SocketEndpoint(core: core)
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                StoppableChildChannel(
                    base: HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        configuration: .init(ws: .init(maxFrameSize: 4 << 20)),
                        shouldUpgrade: endpoint.shouldUpgrade
                    ))
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "chatbots-emulator"),
            onServerRunning: { [listening] channel in
                listening.resolve(channel.localAddress?.port ?? 0)
            },
            logger: Self.serverLogger(from: logger)
        )
        enum Part { case server, traffic, scenario }
        do {
            try await withThrowingTaskGroup(of: Part.self) { group in
                group.addTask {
                    try await app.run()
                    return .server
                }
                if configuration.trafficRate > 0 {
                    group.addTask { [core, configuration] in
                        try await TrafficLoop(core: core, rate: configuration.trafficRate).run()
                        return .traffic
                    }
                }
                if let scenario {
                    group.addTask { [core, logger] in
                        try await ScenarioPlayer(core: core, logger: logger).play(scenario)
                        return .scenario
                    }
                }
                // The server decides when the emulator ends; traffic and a finished
                // scenario follow it.
                while let finished = try await group.next(), finished != .server {}
                group.cancelAll()
            }
        } catch {
            listening.fail(error)
            throw error
        }
        listening.fail(CancellationError())
    }

    /// The HTTP server's own logger. Hummingbird logs at error level when a handshake
    /// is refused on purpose or a socket is torn down at shutdown, which is routine
    /// here; its lines show when the emulator's log level is debug or trace.
    private static func serverLogger(from logger: Logger) -> Logger {
        var serverLogger = logger
        if logger.logLevel > .debug {
            serverLogger.logLevel = .critical
        }
        return serverLogger
    }

    /// Runs an emulator on a free loopback port for the duration of `body`, then stops
    /// it: for tests of bots and runtimes against a real backend.
    ///
    /// ```swift
    /// try await Emulator.withRunning(EmulatorConfiguration(trafficRate: 50)) { emulator, port in
    ///     // connect to ws://127.0.0.1:\(port)/connect/?token=...
    /// }
    /// ```
    public static func withRunning<Result: Sendable>(
        _ configuration: EmulatorConfiguration = EmulatorConfiguration(),
        logger: Logger = Logger(label: "chatbots.emulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (Emulator, Int) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        configuration.port = 0
        let emulator = try Emulator(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await emulator.run()
                return nil
            }
            defer { group.cancelAll() }
            let port = try await emulator.waitUntilListening()
            return try await body(emulator, port)
        }
    }

    /// The port it listens on, once it does; throws if it could not start.
    public func waitUntilListening() async throws -> Int {
        try await listening.wait()
    }

    /// Applies a fault command now (see ``FaultCommand``).
    public func apply(_ faults: FaultCommand) {
        core.apply(faults)
    }

    /// Sends one text frame to every socket exactly as given.
    public func send(rawFrame: String) {
        core.sendRaw(frame: rawFrame)
    }

    /// Sends an event to every socket, in the documented shape.
    public func send(_ event: ChatEvent) throws {
        core.sendRaw(frame: try FrameEncoder().encodeText(event))
    }

    /// Opens a chat for `client`, as generated traffic does, and broadcasts it; returns
    /// the new chat's id.
    public func openChat(client: UserID, type: ChatType = .order, topic: String? = nil) -> ChatID {
        core.change { world in
            let event = world.openChat(client: client, type: type, topic: topic)
            return (event.chatID ?? "", [event])
        }
    }

    /// Runs `count` steps of generated traffic now; returns how many frames they sent
    /// to each socket (a step sends none, one or two).
    @discardableResult
    public func generate(steps count: Int) -> Int {
        (0..<count).reduce(0) { sent, _ in sent + core.generateStep() }
    }

    /// Generates at least `frames` frames of traffic, then hands them to the sockets at
    /// once: a burst as fast as a client reads. Returns how many it sent.
    @discardableResult
    public func generateBurst(frames: Int) -> Int {
        core.generateBurst(frames: frames)
    }

    /// When each chat's `new_chat` frame was handed to the sockets, by chat; with the
    /// record's `receivedAt`, the time from a chat's opening to its first action.
    public var chatsOpened: [ChatID: Date] {
        core.recorder.chatsOpened
    }

    /// Every action request and alert received so far.
    public var record: EmulatorRecord {
        core.recorder.snapshot
    }

    /// A summary of sockets, chats and faults.
    public var status: EmulatorStatus {
        EmulatorStatus(core: core)
    }

    /// Revokes every token issued so far and closes open sockets with 4001.
    public func revokeTokens() {
        core.revokeTokens()
    }
}

/// The port once the server listens, for any number of waiters.
private final class ListeningPort: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case listening(Int)
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = state.withLock { state in
                switch state {
                case .waiting(let waiters):
                    state = .waiting(waiters + [continuation])
                    return nil
                case .listening(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    func resolve(_ port: Int) {
        for waiter in finish(.listening(port)) { waiter.resume(returning: port) }
    }

    func fail(_ error: any Error) {
        for waiter in finish(.failed(error)) { waiter.resume(throwing: error) }
    }

    private func finish(_ final: State) -> [CheckedContinuation<Int, any Error>] {
        state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = final
            return waiters
        }
    }
}
