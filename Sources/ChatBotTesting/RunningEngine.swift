import ChatBotKit
import Logging

/// Runs an ``Engine`` for the duration of `body`, then lets it finish its work and stop.
///
/// ```swift
/// let store = InMemoryStore()
/// let clock = VirtualClock()
/// try await withRunningEngine(bots: [Greeter()], store: store, clock: clock) { engine in
///     engine.submit(.newChat(.init(clientID: "5", chatID: "1", chatType: .order)), receivedAt: clock.now())
///     await engine.waitUntilIdle()
/// }
/// // store.committedActions now holds what Greeter decided.
/// ```
public func withRunningEngine<Result: Sendable>(
    bots: [any Bot],
    store: any Store = InMemoryStore(),
    clock: any EngineClock = VirtualClock(),
    configuration: EngineConfiguration = EngineConfiguration(serviceAccountID: "1000"),
    logger: Logger = quietLogger,
    replaying: Bool = false,
    _ body: @Sendable (Engine) async throws -> Result
) async throws -> Result {
    let engine = try await Engine(bots: bots, store: store, clock: clock, configuration: configuration, logger: logger, replaying: replaying)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await engine.run() }
        let result = try await body(engine)
        await engine.finish()
        try await group.waitForAll()
        return result
    }
}

/// A logger that prints only critical lines: the default in tests.
public let quietLogger: Logger = {
    var logger = Logger(label: "chatbots.test")
    logger.logLevel = .critical
    return logger
}()
