import ChatBotKit
import Foundation
import Logging
import Synchronization

/// Runs bots the way the runtime does — the real engine, with its one ordered sequence,
/// commits and durable timers — on an in-memory store and a virtual clock, so a bot is
/// tested with no network and no sleeping.
///
/// Feed events, move time forward so timers fire, then read what the bots decided:
///
/// ```swift
/// let harness = BotHarness(bots: [Greeter()])
/// try await harness.run { harness in
///     try await harness.send(.chatOpened("7", by: "client-1"))
///     try await harness.advance(by: .minutes(5))        // timers due by then fire, in order
/// }
/// #expect(harness.messages == [.init(chat: "7", text: "Hello!")])
/// ```
///
/// Everything committed stays in ``store`` between runs, so running twice is a
/// restart: a timer that came due while "down" (``VirtualClock/advance(by:)`` between
/// the runs) fires at the start of the second run, marked late.
public final class BotHarness: Sendable {
    /// A message a bot sent.
    public struct SentMessage: Hashable, Sendable, CustomStringConvertible {
        public var chat: ChatID
        public var text: String

        public init(chat: ChatID, text: String) {
            self.chat = chat
            self.text = text
        }

        public var description: String { "[\(chat)] \(text)" }
    }

    /// The bots' time: moves only through ``advance(by:)`` and ``advance(to:)``, or
    /// when a test moves it between runs.
    public let clock: VirtualClock
    /// Everything the bots committed: world, state, timers, outbox.
    public let store: InMemoryStore
    public let configuration: EngineConfiguration
    private let bots: [any Bot]
    private let logger: Logger
    private let outside: (any OutsideCaller)?
    private let engine = Mutex<Engine?>(nil)
    private let lastEngine = Mutex<Engine?>(nil)
    private let cursor = Mutex(0)

    /// - Parameters:
    ///   - bots: The bots under test, in the order their handlers run.
    ///   - start: Where the virtual clock starts (2026-01-01 00:00 UTC by default).
    ///   - configuration: The engine's settings; the service account is `"1000"` by default.
    ///   - outside: Answers the bots' outside calls (a ``ScriptedOutside``, say); without
    ///     one, every call fails at once.
    ///   - logger: Quiet by default; pass one at `.debug` to watch a test.
    public init(
        bots: [any Bot],
        start: Date = Date(timeIntervalSince1970: 1_767_225_600),
        configuration: EngineConfiguration = EngineConfiguration(serviceAccountID: "1000"),
        store: InMemoryStore = InMemoryStore(),
        outside: (any OutsideCaller)? = nil,
        logger: Logger = quietLogger
    ) {
        self.bots = bots
        self.outside = outside
        self.clock = VirtualClock(start: start)
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: - Running

    /// Starts the engine over what the store holds, fires timers already due (late
    /// ones from a previous run among them), runs `body`, then lets every submitted
    /// event finish and commit.
    public func run<Result: Sendable>(_ body: @Sendable (BotHarness) async throws -> Result) async throws -> Result {
        guard engine.withLock({ $0 == nil }) else { throw BotHarnessError.alreadyRunning }
        let started = try await Engine(bots: bots, store: store, clock: clock, configuration: configuration, logger: logger, outsideCaller: outside)
        engine.withLock { $0 = started }
        lastEngine.withLock { $0 = started }
        defer { engine.withLock { $0 = nil } }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await started.run() }
            await started.fireDueTimers()
            let result = try await body(self)
            await started.finish()
            try await group.waitForAll()
            return result
        }
    }

    /// Hands one event to the bots, received now, and returns once it is handled and
    /// committed.
    public func send(_ event: ChatEvent) async throws {
        let engine = try running()
        engine.submit(event, receivedAt: clock.now())
        await engine.waitUntilIdle()
    }

    /// Hands several events over in order, each received now, and waits for them all.
    public func send(_ events: [ChatEvent]) async throws {
        let engine = try running()
        for event in events { engine.submit(event, receivedAt: clock.now()) }
        await engine.waitUntilIdle()
    }

    /// Catches up now with what an open-chats listing shows, as the runtime does after
    /// a gap: the bots get what the listing says they missed, as recovered events
    /// (``BotContext/isRecovered``). Returns what was recovered, once committed.
    @discardableResult
    public func catchUp(_ listing: CatchUpListing) async throws -> CatchUpReport {
        try await running().catchUp(listing)
    }

    /// Returns once every outside call the bots asked has been answered and the answers
    /// handled and committed. (``send(_:)`` does not wait for them: a test may hold an
    /// answer back to see what happens meanwhile.)
    public func waitForAnswers() async throws {
        try await running().waitUntilCallsAnswered()
    }

    /// Tells the bots' world what the backend's curator directory lists (curators and
    /// their topics), as the runtime does when a directory route is configured.
    public func learnDirectory(_ entries: [DirectoryEntry]) async throws {
        try await running().learnDirectory(entries)
    }

    /// Moves time forward by `duration`, firing every timer that comes due on the way,
    /// each at its own moment (a handler sees `now` equal to its timer's due time), and
    /// timers those handlers schedule within the span too.
    public func advance(by duration: Duration) async throws {
        try await advance(to: clock.now().addingTimeInterval(duration.timeInterval))
    }

    /// Moves time forward to `date`, firing timers on the way (see ``advance(by:)``).
    public func advance(to date: Date) async throws {
        let engine = try running()
        var steps = 0
        while let next = engine.pendingTimers.values.map(\.fireAt).min(), next <= date {
            steps += 1
            guard steps <= Self.maximumSteps else { throw BotHarnessError.timersNeverSettle(steps: steps) }
            clock.advance(to: next)
            await engine.fireDueTimers()
        }
        clock.advance(to: date)
        await engine.fireDueTimers()
    }

    /// A bound on timer firings within one advance: a bot that keeps scheduling timers
    /// due at once would otherwise hang the test.
    static let maximumSteps = 100_000

    private func running() throws(BotHarnessError) -> Engine {
        guard let engine = engine.withLock({ $0 }) else { throw .notRunning }
        return engine
    }

    // MARK: - What the bots decided

    /// Every action committed, in commit order, across runs.
    public var actions: [BotAction] {
        store.committedActions.map(\.action)
    }

    /// The actions committed since the last call of this method (all of them, the first
    /// time): what one step of a test produced.
    public func takeActions() -> [BotAction] {
        let all = actions
        return cursor.withLock { cursor in
            defer { cursor = all.count }
            return Array(all.dropFirst(min(cursor, all.count)))
        }
    }

    /// The messages the bots sent, in order.
    public var messages: [SentMessage] {
        actions.compactMap { action in
            guard case .sendMessage(let chat, let text) = action else { return nil }
            return SentMessage(chat: chat, text: text)
        }
    }

    /// The alerts the bots raised, in order.
    public var alerts: [Alert] {
        actions.compactMap { action in
            guard case .alert(let alert) = action else { return nil }
            return alert
        }
    }

    /// The timers pending in the store, by bot and name.
    public var timers: [TimerKey: TimerRequest] {
        store.timers.mapValues(\.request)
    }

    /// A bot's stored value for `key`, decoded; `nil` if there is none.
    public func state<Value>(_ key: StateKey<Value>, bot: String) throws -> Value? {
        try store.state(key, bot: bot)
    }

    /// The world model of the current run, or of the last one once it ended.
    public var world: WorldModel? {
        lastEngine.withLock { $0?.worldModel }
    }

    /// Handlers that threw or ran past their timeout, by bot, in the current (or last) run.
    public var handlerFailures: [String: Int] {
        lastEngine.withLock { $0?.statistics.handlerFailures ?? [:] }
    }
}

/// Misuse of a ``BotHarness``.
public enum BotHarnessError: Error, Equatable, CustomStringConvertible {
    case notRunning
    case alreadyRunning
    case timersNeverSettle(steps: Int)

    public var description: String {
        switch self {
        case .notRunning: "the harness is not running: call send and advance inside harness.run { ... }"
        case .alreadyRunning: "the harness is already running: one run at a time"
        case .timersNeverSettle(let steps):
            "timers kept coming due at once (\(steps) firings in one advance): a bot reschedules without moving forward"
        }
    }
}
