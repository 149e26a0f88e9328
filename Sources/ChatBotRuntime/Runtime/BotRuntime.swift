import AsyncHTTPClient
import ChatBotKit
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The whole runtime as one `Service`: the gateway reads events, the engine runs the
/// bots and commits, the delivery carries actions out; optionally an HTTP endpoint
/// serves metrics and health (``MonitoringServer``), and SIGHUP reloads the
/// configuration (``reload(configuration:bots:)``).
///
/// On graceful shutdown it stops reading (the socket closes with 1000), lets handlers
/// finish and commit, delivers what is due once more, and keeps the rest in the
/// outbox for the next start.
///
/// ```swift
/// let configuration = try ConfigLoader.load(path: "Config/chatbots.yaml")
/// let bots = try registry.makeBots(configuration.bots, file: "Config/chatbots.yaml")
/// let runtime = BotRuntime(configuration: configuration, bots: bots, logger: logger)
/// try await ServiceGroup(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public final class BotRuntime: Service, Sendable {
    /// The running parts, once started (for health and tests).
    public struct Parts: Sendable {
        public let engine: Engine
        public let gateway: Gateway
        public let delivery: OutboxDelivery
        public let store: any RuntimeStore
        /// The backend's optional directory routes, when configured.
        public let directory: BackendDirectory?
        /// Whether the store takes its write lock (for `/ready`).
        let storeProbe: StoreWritableProbe
        /// What the outbox holds (for `/ready` and `/metrics`).
        let outboxCount: OutboxCountCheck
    }

    /// Where a reload on SIGHUP reads its configuration and makes its bots.
    public struct ReloadSource: Sendable {
        public var configurationFile: String
        public var registry: BotRegistry

        public init(configurationFile: String, registry: BotRegistry) {
            self.configurationFile = configurationFile
            self.registry = registry
        }
    }

    /// The configuration at start.
    let configuration: RuntimeConfiguration
    /// What reloads change that the runtime itself reads again.
    struct Reloadable: Sendable {
        /// `monitoring.ready_max_outbox`, for `/ready`.
        var readyMaxOutbox: Int
        /// Everyone ever on `engine.curators`: a curator keeps the role once learned,
        /// and a reload that leaves one out says so.
        var curators: Set<String>
    }
    let reloadable: Mutex<Reloadable>
    private let bots: [any Bot]
    let logger: Logger
    let environment: [String: String]
    private let dryRun: Bool
    private let recordPath: String?
    private let monitoringByDefault: Bool
    let reloadSource: ReloadSource?
    private let engineInputs: (@Sendable (RecordedInput) -> Void)?
    /// The one clock of everything that depends on time: events' arrival, timers,
    /// delivery's backoff and expiry, retention.
    let clock: any EngineClock
    /// This runtime's own metrics registry, served at `/metrics`.
    public let metrics = RuntimeMetrics()
    private let started = Mutex<Parts?>(nil)
    /// This runtime's side of the leader's lease, on a PostgreSQL store.
    let leadership = Mutex<Leadership?>(nil)
    let monitoringPort = Mutex<Int?>(nil)
    let reloads = Mutex(ReloadCounters())
    /// Wakes whoever waits for the start, the endpoint, or a reload.
    let startSignal = ChangeSignal()

    /// - Parameters:
    ///   - dryRun: Shadow mode: connect and decide for real, deliver nothing; each action
    ///     is logged as what would have been sent. It keeps its state in a throwaway
    ///     store, never the configured one.
    ///   - recordPath: Append every received frame, with its arrival time, to this JSON
    ///     Lines file (see ``FrameRecorder``).
    ///   - monitoringByDefault: Serve `/metrics`, `/health` and `/ready` when the file's
    ///     `monitoring.enabled` does not say: `chatbots run` and ``serve(configurationFile:registry:logger:logLevel:dryRun:recordPath:)``
    ///     say yes; a runtime made in code serves nothing unless asked.
    ///   - reloadOnHangup: Re-read this file on SIGHUP and apply it if it is valid.
    ///   - engineInputs: Told every input the engine handles, in order: what an
    ///     ``Engine/replay(_:bots:)`` needs to decide the same again.
    ///   - clock: The time of everything that depends on it: the events' arrival, the
    ///     bots' timers, delivery's backoff, limits and expiry, retention. The system's
    ///     by default; a soak run drives a virtual one through months in minutes.
    public init(
        configuration: RuntimeConfiguration, bots: [any Bot], logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment, dryRun: Bool = false, recordPath: String? = nil,
        monitoringByDefault: Bool = false, reloadOnHangup: ReloadSource? = nil,
        engineInputs: (@Sendable (RecordedInput) -> Void)? = nil, clock: any EngineClock = SystemClock()
    ) {
        self.engineInputs = engineInputs
        self.clock = clock
        self.configuration = configuration
        reloadable = Mutex(Reloadable(readyMaxOutbox: configuration.monitoring.readyMaxOutbox, curators: Set(configuration.engine.curators)))
        self.bots = bots
        self.logger = logger
        self.environment = environment
        self.dryRun = dryRun
        self.recordPath = recordPath
        self.monitoringByDefault = monitoringByDefault
        reloadSource = reloadOnHangup
    }

    /// The running parts; `nil` until started.
    public var parts: Parts? {
        started.withLock { $0 }
    }

    /// Returns the running parts once started.
    public func waitUntilStarted() async -> Parts? {
        while !Task.isCancelled {
            let token = startSignal.token
            if let parts { return parts }
            await startSignal.wait(since: token)
        }
        return nil
    }

    public func run() async throws {
        // The delivery's own HTTP client: its pool holds as many connections to the
        // backend as actions may be in flight (the shared client's 8 would cap them).
        let limits = configuration.delivery.limits
        let deliveryClient = AsyncHTTPTransport.makeClient(connectionsPerHost: max(limits.maxInFlight, limits.alertMaxInFlight))
        do {
            try await run(deliveryClient: deliveryClient)
        } catch {
            try? await deliveryClient.shutdown()
            throw error
        }
        try await deliveryClient.shutdown()
    }

    private func run(deliveryClient: HTTPClient) async throws {
        // Trap SIGHUP first: from here on the signal's default can no longer end the
        // process, and a reload asked for while the parts start waits for them.
        let hangups = reloadSource == nil ? nil : await UnixSignalsSequence(trapping: .sighup)
        let store = try await openStore()
        do {
            if let postgres = store as? PostgresStore, let section = configuration.store.postgres {
                // A shared database: runtimes take turns leading, by lease.
                let lease = LeaderLease(timeToLive: .seconds(section.leaseTTL.seconds))
                try await runTakingTurns(postgres, lease: lease, deliveryClient: deliveryClient, hangups: hangups)
            } else {
                let parts = try await assemble(store: store, deliveryClient: deliveryClient)
                publish(parts)
                try await run(parts, hangups: hangups, serveMonitoring: true)
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// Makes `parts` the running ones (`nil`: none, a standby), and says so.
    func publish(_ parts: Parts?) {
        started.withLock { $0 = parts }
        startSignal.notify()
    }

    /// The parts of the runtime, an aspect each: what this Service's life follows.
    private enum Part: String {
        case engine, delivery, gateway, directory, monitoring, reload, pruning, catchUp
        /// Parts that serve the others; the runtime's life follows the rest.
        var isAuxiliary: Bool { self != .engine && self != .delivery && self != .gateway }
    }

    /// Runs the parts until reading stops (a graceful shutdown) or a part fails.
    ///
    /// - Parameters:
    ///   - hangups: SIGHUP, to reload on; `nil` when the caller reloads.
    ///   - serveMonitoring: Serve `/metrics`, `/health` and `/ready` with the parts
    ///     (`false` when the caller serves them across turns).
    func run(_ parts: Parts, hangups: UnixSignalsSequence?, serveMonitoring: Bool) async throws {
        try await withThrowingTaskGroup(of: Part.self) { group in
            group.addTask {
                try await parts.engine.run()
                return .engine
            }
            group.addTask {
                try await parts.delivery.run()
                return .delivery
            }
            group.addTask {
                try? await cancelWhenGracefulShutdown { try await parts.gateway.run() }
                return .gateway
            }
            if let directory = parts.directory, configuration.directory.curatorsPath != nil {
                let refresh = configuration.directory.refreshSeconds
                group.addTask {
                    try? await cancelWhenGracefulShutdown {
                        try await Self.keepLearningDirectory(directory, into: parts.engine, every: refresh, logger: self.logger)
                    }
                    return .directory
                }
            }
            if let directory = parts.directory, configuration.directory.openChatsPath != nil {
                let catchUp = CatchUpRunner(
                    directory: directory, engine: parts.engine, logger: logger, factory: metrics.factory, now: { [clock] in clock.now() }
                )
                group.addTask {
                    await catchUp.run(following: parts.gateway)
                    return .catchUp
                }
            } else {
                logger.info(
                    "no catching up after gaps: directory.open_chats_path is not set, so events sent while the stream is down are not recovered")
            }
            let pruner = StorePruner(
                store: parts.store, retention: configuration.retention, clock: clock, logger: logger, factory: metrics.factory,
                forgetChats: { quiet in try await parts.engine.forgetClosedChats(quietFor: quiet) }
            )
            group.addTask {
                await pruner.run()
                return .pruning
            }
            if serveMonitoring, let server = monitoringServer() {
                group.addTask {
                    try await server.run()
                    return .monitoring
                }
            }
            if let hangups, let source = reloadSource {
                group.addTask {
                    for await _ in hangups {
                        await self.reload(from: source)
                    }
                    return .reload
                }
            }
            var first: Part?
            do {
                first = try await group.next()
                while let part = first, part.isAuxiliary { first = try await group.next() }
            } catch {
                // The store failed (a full disk, a lost file) or the endpoint could not
                // listen: stop reading rather than go on unrecorded.
                logger.critical("stopping: \(error)", metadata: ["error": "\(error)"])
                throw error
            }
            // Cancelled (a leader that lost its lease): stop now, with nothing more
            // committed or sent. Reading stopped otherwise (a graceful stop): finish.
            if first == .gateway, !Task.isCancelled {
                logger.info("stopping: reading stopped; letting handlers finish and commit")
                await parts.engine.finish()
                // Let the engine commit its last work and the delivery finish the
                // request it is making, then make one last pass over the outbox.
                parts.delivery.stop()
                var running: Set<Part> = [.engine, .delivery]
                while !running.isEmpty, let part = try await group.next() {
                    running.remove(part)
                }
                let delivered = (try? await parts.delivery.deliverDue(deadline: Date().addingTimeInterval(Self.finalDeliveryBudget))) ?? 0
                let left = (try? await parts.store.pendingActionCount()) ?? 0
                let handled = parts.engine.statistics.eventsHandled
                let frames = parts.gateway.statistics
                logger.info(
                    "stopped",
                    metadata: [
                        "outbox.delivered_at_stop": "\(delivered)", "outbox.pending": "\(left)", "engine.events_handled": "\(handled)",
                        "gateway.frames_received": "\(frames.framesReceived)", "gateway.frames_rejected": "\(frames.framesRejected)",
                    ])
            } else if !Task.isCancelled {
                logger.error("a part of the runtime stopped unexpectedly", metadata: ["runtime.part": "\(first?.rawValue ?? "none")"])
            }
            group.cancelAll()
        }
    }

    /// The endpoint, when the configuration (or the default) asks for one.
    func monitoringServer() -> MonitoringServer? {
        let monitoring = configuration.monitoring
        guard monitoring.enabled ?? monitoringByDefault else { return nil }
        return MonitoringServer(
            section: monitoring, metrics: metrics, logger: logger, status: { await self.currentStatus() },
            onListening: { port in
                self.monitoringPort.withLock { $0 = port }
                self.startSignal.notify()
            }
        )
    }

    /// How long a stopping runtime keeps delivering before it leaves the rest in the
    /// outbox for the next start.
    static let finalDeliveryBudget: TimeInterval = 10

    /// Reads the curator directory now and every `interval` seconds (sooner after a
    /// failure), and teaches the engine what it lists; ends when cancelled.
    private static func keepLearningDirectory(
        _ directory: BackendDirectory, into engine: Engine, every interval: Double, logger: Logger
    ) async throws {
        while !Task.isCancelled {
            var wait = interval
            do {
                let entries = try await directory.curators()
                try await engine.learnDirectory(entries)
                logger.info("curator directory read", metadata: ["directory.curators": "\(entries.count)"])
            } catch is CancellationError {
                return
            } catch {
                logger.warning("curator directory not read; will try again", metadata: ["error": "\(error)"])
                wait = min(interval, 30)
            }
            try await Task.sleep(for: .milliseconds(Int64(wait * 1_000)))
        }
    }

    /// The configured store: the SQLite file, or the PostgreSQL database; a dry run's
    /// throwaway file whatever the config says.
    private func openStore() async throws -> any RuntimeStore {
        let now: @Sendable () -> Date = { [clock] in clock.now() }
        if dryRun {
            // Never the configured store: a live runtime on it would deliver what a dry
            // run decided, and a dry run's delivery would settle the live outbox unsent.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-dry-run-\(UUID().uuidString).sqlite").path
            logger.notice(
                "dry run: the bots decide for real; nothing is delivered, each action is logged instead",
                metadata: [
                    "store.path": "\(path)"
                ])
            return try SQLiteStore(path: path, now: now)
        }
        guard let postgres = configuration.store.postgres else {
            return try SQLiteStore(path: configuration.store.path, now: now)
        }
        let password = environment[postgres.passwordEnv].flatMap { $0.isEmpty ? nil : $0 }
        if password == nil {
            logger.notice("no PostgreSQL password: \(postgres.passwordEnv) is not set, so the server must not ask for one")
        }
        let store = try await PostgresStore.open(postgres, password: password, logger: logger, now: now)
        logger.info("store opened", metadata: ["store": "\(store.location)"])
        return store
    }

    /// Builds the running parts on `store`: loading it is most of the time this takes.
    ///
    /// - Parameters:
    ///   - tokens: The service account's tokens, when the caller signed in already (a
    ///     standby does, so its credentials are known good before it must lead).
    ///   - mayDeliver: Asked before every delivery request (a leader's term).
    func assemble(
        store: any RuntimeStore, deliveryClient: HTTPClient, tokens signedIn: (any TokenProvider)? = nil,
        mayDeliver: @escaping @Sendable () -> Bool = { true }
    ) async throws -> Parts {
        let tokens = try signedIn ?? makeTokenProvider()
        let directorySection = configuration.directory
        let directory =
            directorySection.curatorsPath == nil && directorySection.chatDetailsPath == nil && directorySection.openChatsPath == nil
            ? nil
            : BackendDirectory(
                // A new chat waits for its details before it enters the engine's sequence
                // (and the inputs after it wait their turn): a backend that hangs costs 5 s at most.
                apiBaseURL: configuration.server.apiBaseURL, section: directorySection, transport: AsyncHTTPTransport(timeout: .seconds(5)),
                tokens: tokens, logger: logger
            )
        let deliverySection = configuration.delivery
        let transport: any HTTPTransport =
            dryRun
            ? ShadowTransport(apiBaseURL: configuration.server.apiBaseURL, alertWebhook: configuration.alerts.webhookURL, logger: logger)
            : AsyncHTTPTransport(timeout: .seconds(deliverySection.requestTimeout.seconds), client: deliveryClient)
        let delivery = OutboxDelivery(
            store: store, transport: transport, tokens: tokens,
            configuration: .init(
                apiBaseURL: configuration.server.apiBaseURL, routes: configuration.routes, alerts: configuration.alerts,
                limits: deliverySection.limits, maxAge: .seconds(deliverySection.maxAge.seconds),
                alertMaxAge: .seconds(deliverySection.alertMaxAge.seconds), alertTimeout: .seconds(deliverySection.alertRequestTimeout.seconds)
            ),
            logger: logger, metricsFactory: metrics.factory, now: { [clock] in clock.now() }, mayDeliver: mayDeliver
        )
        let engine = try await Engine(
            bots: bots, store: store, clock: clock,
            configuration: configuration.engineConfiguration(chatDetails: directorySection.chatDetailsPath == nil ? nil : directory),
            logger: logger, metricsFactory: metrics.factory,
            outsideCaller: LeaderOnlyCaller(
                base: HTTPOutsideCaller(transport: AsyncHTTPTransport(client: deliveryClient), dryRun: dryRun), mayCall: mayDeliver
            ),
            inputObserver: engineInputs,
            onActionsCommitted: { _ in delivery.notify() }
        )
        returnFreedMemory()
        let server = configuration.server
        let pingInterval = Duration.milliseconds(Int64(server.pingIntervalSeconds * 1_000))
        var onFrame: (@Sendable (String, Date) -> Void)?
        if let recordPath {
            let recorder = try FrameRecorder(path: recordPath, logger: logger)
            logger.notice("recording every frame", metadata: ["record.path": "\(recorder.path)"])
            onFrame = { frame, receivedAt in recorder.record(frame, receivedAt: receivedAt) }
        }
        let gateway = try Gateway(
            configuration: GatewayConfiguration(
                serverURL: server.url, path: server.path, origin: server.origin, maxFrameBytes: server.maxFrameBytes,
                pingInterval: pingInterval, allowsInsecureRemote: server.allowInsecure
            ),
            tokens: tokens,
            decoder: FrameDecoder(maxFrameBytes: server.maxFrameBytes, naiveTimeZone: TimeZone(identifier: server.naiveTimeZone) ?? .gmt),
            logger: logger,
            metricsFactory: metrics.factory, now: { [clock] in clock.now() },
            onFrame: onFrame,
            onEvent: { event, receivedAt in await engine.admit(event, receivedAt: receivedAt) }
        )
        return Parts(
            engine: engine, gateway: gateway, delivery: delivery, store: store, directory: directory,
            storeProbe: StoreWritableProbe { try await store.checkWritable() },
            outboxCount: OutboxCountCheck(budget: Self.statusBudget) { try await store.outboxCounts() }
        )
    }

    func makeTokenProvider() throws -> any TokenProvider {
        if let keycloak = configuration.auth.keycloak {
            return KeycloakTokenProvider(
                configuration: .init(tokenURL: keycloak.tokenURL, clientID: keycloak.clientID, clientSecret: keycloak.clientSecret),
                logger: logger
            )
        }
        let variable = configuration.auth.staticTokenEnv ?? ""
        guard let token = environment[variable], !token.isEmpty else {
            throw ConfigError(
                file: "configuration", keyPath: "auth.static_token_env", line: nil, message: "environment variable \(variable) is not set")
        }
        return StaticTokenProvider(token: token)
    }
}
