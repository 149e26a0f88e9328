import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Applies events and fired timers to the world model and the bots, in one ordered
/// sequence, and commits what they decide.
///
/// Every input — an event, time passing, a directory refresh, a reload — is numbered as
/// it is handed over and handled in that order, one unit at a time: due timers first,
/// then the input; for an event, the world update, then every bot's handler in turn.
/// Handlers are synchronous and work on what the engine holds in memory, so a unit
/// never waits on I/O; what an event needs from outside (a new chat's topic, a quiet
/// chat's state) is fetched before it enters the sequence. Commits are written behind
/// the sequence, in batches (group commit); an action is delivered only once its batch
/// is durable, and a failed write stops the engine.
///
/// ```swift
/// let engine = try await Engine(bots: [Greeter()], store: store, configuration: .init(serviceAccountID: "1000"), logger: logger)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await engine.run() }
///     engine.submit(event, receivedAt: Date())
///     await engine.finish()
/// }
/// ```
public final class Engine: Sendable {
    public let configuration: EngineConfiguration
    let core: Mutex<EngineCore>
    let clock: any EngineClock
    let logger: Logger
    let store: any Store
    /// The store, if it reads chats' state on demand.
    let onDemand: (any StateOnDemandStore)?
    let timers: TimerTable
    let startedAt: Date
    let metrics: EngineMetrics
    let onActionsCommitted: @Sendable (Int) -> Void
    /// Wakes the sequence: an input ready, the engine closed, a commit durable.
    let inputsChanged = ChangeSignal()
    /// Wakes the committer and the timer loop: a unit handled.
    let unitsHandled = ChangeSignal()
    /// Wakes whoever waits for commits to be durable, or for the engine to stop.
    let durable = ChangeSignal()
    /// Wakes ``admit(_:receivedAt:)``: room in the queue.
    let room = ChangeSignal()
    let preparations: AsyncStream<InputPreparation>.Continuation
    private let preparationRequests: AsyncStream<InputPreparation>
    /// Sends the bots' outside calls; without one, every call fails at once.
    let outsideCaller: (any OutsideCaller)?
    /// Reads a chat's keys now, for a handler reading another chat that is away from memory.
    let readChatNow: (@Sendable (ChatID) throws -> [StoredBotState])?
    /// Inputs come from a recording (``replay(_:bots:)``): no ticks of its own, no calls.
    let replaying: Bool
    /// Told every input as it is handled, in order: what a recording keeps.
    let inputObserver: (@Sendable (RecordedInput) -> Void)?
    let calls: AsyncStream<(bot: String, name: String, record: CallRecord)>.Continuation
    private let callRequests: AsyncStream<(bot: String, name: String, record: CallRecord)>

    /// Creates an engine over what `store` holds.
    ///
    /// - Parameters:
    ///   - bots: The bots, in the order their handlers run for each event. Names must be unique.
    ///   - store: Where the world, the bots' state, the timers and the outbox are committed.
    ///   - clock: The time handlers see and timers fire by; a virtual one in tests.
    ///   - configuration: The engine's settings (its service account, curators, limits).
    ///   - logger: Where the engine and the bots' handlers log.
    ///   - metricsFactory: Where the engine's metrics go (events handled by type,
    ///     handler duration and failures by bot); swift-metrics' global factory by default.
    ///   - outsideCaller: What sends the bots' outside calls (``BotContext/ask(_:as:chat:payload:)``);
    ///     without one, each call is answered at once as failed.
    ///   - replaying: The inputs will come from a recording (``replay(_:bots:)``): the
    ///     engine fires timers only at the recorded ticks and makes no outside calls.
    ///   - inputObserver: Told every input as it is handled, in order (a recording).
    ///   - onActionsCommitted: Called after each transaction that stored actions, with
    ///     their number: the delivery side's cue to look at the outbox.
    public init(
        bots: [any Bot],
        store: any Store,
        clock: any EngineClock = SystemClock(),
        configuration: EngineConfiguration,
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        outsideCaller: (any OutsideCaller)? = nil,
        replaying: Bool = false,
        inputObserver: (@Sendable (RecordedInput) -> Void)? = nil,
        onActionsCommitted: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let metrics = EngineMetrics(factory: metricsFactory)
        let lineup = try BotLineup(bots, keeping: nil, metrics: metrics)
        let onDemand = store as? any StateOnDemandStore
        let snapshot = if let onDemand { try await onDemand.loadWithoutChatState() } else { try await store.load() }
        let timers = TimerTable(snapshot.timers)
        let world = WorldModel(
            serviceAccountID: configuration.serviceAccountID, roster: configuration.curatorRoster,
            closedStatuses: configuration.closedStatuses, messageLimit: configuration.messagesKeptPerChat,
            chats: snapshot.chats, users: snapshot.users
        )
        core = Mutex(
            EngineCore(
                world: world, state: StateTable(snapshot.botState, onDemand: onDemand != nil), lineup: lineup, timers: timers
            ))
        self.timers = timers
        self.onDemand = onDemand
        if let onDemand {
            readChatNow = { chat in try onDemand.chatStateNow(of: chat) }
        } else {
            readChatNow = nil
        }
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.onActionsCommitted = onActionsCommitted
        (preparationRequests, preparations) = AsyncStream.makeStream(of: InputPreparation.self)
        self.outsideCaller = outsideCaller
        self.replaying = replaying
        self.inputObserver = inputObserver
        (callRequests, calls) = AsyncStream.makeStream(of: (bot: String, name: String, record: CallRecord).self)
        startedAt = clock.now()
    }

    /// Runs the sequence, the committer, the timers and the handler watchdog until
    /// ``finish()`` or cancellation. Throws if the store fails: the runtime must stop
    /// then, not go on unrecorded.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.commitBatches() }
            if !replaying { group.addTask { await self.fireTimersWhenDue() } }
            group.addTask { await self.watchHandlers() }
            group.addTask { await self.prepareInputs(self.preparationRequests) }
            group.addTask { await self.makeCalls(self.callRequests) }
            startSequence(generation: 0)
            await withTaskCancellationHandler {
                await waitUntil(durable) { $0.failure != nil || ($0.sequenceEnded && $0.durableThrough >= $0.batchThrough) }
            } onCancel: {
                stopNow()
            }
            group.cancelAll()
        }
        if let failure = core.withLock({ $0.failure }) { throw failure }
    }

    /// Hands over one event, in the order it arrived on the socket. Returns at once;
    /// the event is handled in its turn.
    public func submit(_ event: ChatEvent, receivedAt: Date) {
        guard enqueue(.event(event, receivedAt: receivedAt)) != nil else {
            logger.warning("event after shutdown dropped", metadata: ["event.type": "\(event.type)"])
            return
        }
    }

    /// Hands over one event like ``submit(_:receivedAt:)``, but first waits while
    /// `configuration.maxQueuedEvents` inputs are queued and not yet handled. The
    /// gateway admits events this way (from its bounded read buffer), so a flood is held
    /// back at the socket, by TCP, instead of piling up in memory. Returns at once after
    /// shutdown or cancellation.
    public func admit(_ event: ChatEvent, receivedAt: Date) async {
        let limit = configuration.maxQueuedEvents
        while !Task.isCancelled {
            let token = room.token
            if core.withLock({ $0.closed || $0.slots.count < limit }) { break }
            await room.wait(since: token)
        }
        submit(event, receivedAt: receivedAt)
    }

    /// How many inputs are queued or being handled now.
    public var queuedWork: Int {
        core.withLock { $0.slots.count + $0.units.count + ($0.work == nil ? 0 : 1) }
    }

    /// Returns once every input handed over so far is handled and committed.
    public func waitUntilIdle() async {
        let target = core.withLock { $0.submitted }
        await waitUntilDurable(target)
    }

    /// Returns once every outside call asked so far has been answered (or failed) and
    /// every input handed over, answers included, is handled and committed.
    public func waitUntilCallsAnswered() async {
        await waitUntil(durable) { core in
            (core.callsInFlight == 0 && core.durableThrough >= core.submitted) || core.failure != nil || core.sequenceEnded
        }
    }

    /// Stops: lets handed-over inputs be handled and committed, then ends ``run()``.
    public func finish() async {
        core.withLock { $0.closed = true }
        inputsChanged.notify()
        room.notify()
        await waitUntil(durable) { $0.failure != nil || ($0.sequenceEnded && $0.durableThrough >= $0.batchThrough) }
    }

    /// Learns the curators of the backend's directory and their topics, in its turn,
    /// and returns once what changed is durable.
    public func learnDirectory(_ entries: [DirectoryEntry]) async throws {
        try await handOverAndWait(.directory(entries))
    }

    /// Marks users as curators (a roster grown by a reload), in its turn, and returns
    /// once what changed is durable.
    public func learnCurators(_ curators: [UserID]) async throws {
        try await handOverAndWait(.curators(curators))
    }

    /// Chats one ``forgetClosedChats(quietFor:)`` forgets at most: a long backlog goes
    /// a slice at a time, between other inputs.
    public static let chatsForgottenPerCall = 1_000

    /// Forgets closed chats that have been quiet for `quiet` (by the engine's clock), in
    /// their turn: their world record, messages, bots' chat-scoped state and timers
    /// leave memory and the store (the store keeps the chat's row, marked forgotten).
    /// At most ``chatsForgottenPerCall``; returns how many went once that is durable.
    @discardableResult
    public func forgetClosedChats(quietFor quiet: Duration) async throws -> Int {
        let before = core.withLock { $0.counters.chatsForgotten }
        let now = clock.now()
        try await handOverAndWait(.forget(at: now, quietBefore: now.addingTimeInterval(-quiet.timeInterval)))
        return core.withLock { $0.counters.chatsForgotten } - before
    }

    /// Catches up after a gap, in its turn: compares the listing with what the engine
    /// knows at that point of the sequence, hands the bots what it missed as recovered
    /// events (``BotContext/isRecovered``), and returns what it recovered once that is
    /// durable. Logs one line saying so. See ``WorldModel`` for the rules; nothing the
    /// world already holds is handed over again, and a live event repeating a recovered
    /// one later is skipped.
    @discardableResult
    public func catchUp(_ listing: CatchUpListing) async throws -> CatchUpReport {
        guard let number = enqueue(.catchUp(listing, at: clock.now())) else { throw CancellationError() }
        await waitUntilDurable(number)
        return try core.withLock { core in
            if let failure = core.failure { throw failure }
            // Stopped before it was all handled and written: it did not happen whole.
            guard core.durableThrough >= number, let last = core.lastCatchUp, last.input == number else { throw CancellationError() }
            return last.report
        }
    }

    /// What the last catch-up recovered, once it is handled; `nil` before the first.
    public var lastCatchUp: CatchUpReport? {
        core.withLock { $0.lastCatchUp?.report }
    }

    /// Replaces the installed bots, for a configuration reload: inputs handed over from
    /// now on see the new ones; those before still see the old. A bot keeps its state,
    /// timers and metrics under the same name.
    ///
    /// - Throws: ``EngineError/duplicateBotName(_:)``; the old bots stay then.
    public func replaceBots(_ bots: [any Bot]) throws {
        let lineup = try core.withLock { core in
            let lineup = try BotLineup(bots, keeping: core.latestLineup, metrics: metrics)
            core.latestLineup = lineup
            return lineup
        }
        enqueue(.lineup(lineup))
    }

    /// Throws ``EngineError/duplicateBotName(_:)`` if two of `bots` share a name: names
    /// key state and timers. What ``replaceBots(_:)`` checks, for a caller that must
    /// know before it changes anything else.
    public static func checkNames(of bots: [any Bot]) throws {
        var seen: Set<String> = []
        for bot in bots where !seen.insert(bot.name).inserted {
            throw EngineError.duplicateBotName(bot.name)
        }
    }

    /// The names of the installed bots (the last lineup handed over), in the order they run.
    public var botNames: [String] {
        core.withLock { $0.latestLineup.members.map(\.bot.name) }
    }

    /// Counts of what happened, for metrics and tests.
    public var statistics: EngineCounters {
        core.withLock { $0.counters }
    }

    /// The world model as it is now.
    public var worldModel: WorldModel {
        core.withLock { $0.world }
    }

    /// One bot's state, as JSON by key: what the store holds, with what the engine
    /// holds newer. For inspection and tests.
    public func state(of bot: String) async throws -> [StoredStateKey: Data] {
        var found: [StoredStateKey: Data] = [:]
        for item in try await onDemand?.storedStates(bot: bot) ?? [] {
            found[item.key] = item.data
        }
        let held = core.withLock { $0.state.entries(of: bot) }
        let encoder = JSONEncoder()
        for (key, entry) in held {
            switch entry {
            case .stored(let data): found[key] = data
            case .value(let value, _): found[key] = try encoder.encode(value)
            }
        }
        return found
    }

    /// What the chats' state held in memory counts against
    /// ``EngineConfiguration/stateBytesInMemory`` now; the rest is in the store.
    public var stateBytesInMemory: Int {
        // Read only: changing the table here, while a handler holds a copy, copies it.
        core.withLock { core in
            core.state.chatBytes + core.encodedSizes.reduce(0) { $0 + core.state.resizeDelta($1.0, to: $1.1) }
        }
    }

    /// The timers pending now.
    public var pendingTimers: [TimerKey: TimerRequest] {
        timers.all
    }

    /// How many timers are pending now (cheap, for metrics).
    public var pendingTimerCount: Int {
        timers.count
    }

    /// Fires every timer due by the engine clock's now, in its turn, then returns once
    /// everything handed over so far is handled and committed. For tests on a virtual
    /// clock: advance the clock, then call this.
    public func fireDueTimers() async {
        guard let number = enqueue(.tick(clock.now())) else { return }
        await waitUntilDurable(number)
    }

    // MARK: - Handing over

    /// Numbers an input and queues it; it waits for what it needs from outside first.
    /// `nil` once the engine is closed.
    @discardableResult
    func enqueue(_ input: EngineInput, details: ChatDetails?? = nil) -> Int64? {
        let (number, preparation) = core.withLock { core -> (Int64?, InputPreparation?) in
            guard !core.closed else { return (nil, nil) }
            core.submitted += 1
            var slot = InputSlot(number: core.submitted, input: input, isReady: true)
            switch input {
            case .forget: core.forgetsQueued += 1
            case .event(.newChat(let opened), _): core.newChatsQueued[opened.chatID, default: 0] += 1
            default: break
            }
            // A replayed event brings its details: only the chat's state is read.
            let preparation = InputPreparation(for: input, number: slot.number, core: &core, engine: self, askDetails: details == nil)
            if let details { slot.details = details }
            slot.isReady = preparation == nil
            core.slots.append(slot)
            return (slot.number, preparation)
        }
        if let preparation { preparations.yield(preparation) }
        inputsChanged.notify()
        return number
    }

    private func handOverAndWait(_ input: EngineInput) async throws {
        guard let number = enqueue(input) else { throw CancellationError() }
        await waitUntilDurable(number)
        if let failure = core.withLock({ $0.failure }) { throw failure }
    }

    /// Returns once input `number` is handled and committed (or the engine stopped).
    func waitUntilDurable(_ number: Int64) async {
        await waitUntil(durable) { core in
            core.durableThrough >= number || core.failure != nil || (core.sequenceEnded && core.handledThrough < number)
        }
    }

    func waitUntil(_ signal: ChangeSignal, _ condition: (EngineCore) -> Bool) async {
        while !Task.isCancelled {
            let token = signal.token
            if core.withLock({ condition($0) }) { return }
            await signal.wait(since: token)
        }
    }

    /// Cancelled: takes no more inputs and drops those not started.
    private func stopNow() {
        core.withLock { core in
            core.closed = true
            core.slots.removeAll()
            core.units.removeAll()
            core.newChatsQueued.removeAll()
        }
        inputsChanged.notify()
        room.notify()
    }

    /// Records a store failure: the sequence stops, and every waiter is told.
    func fail(with error: any Error) {
        core.withLock { core in
            if core.failure == nil { core.failure = error }
            core.closed = true
        }
        for signal in [inputsChanged, unitsHandled, durable, room] { signal.notify() }
    }
}

/// Counts of what the engine did.
public struct EngineCounters: Sendable, Hashable {
    public var eventsHandled = 0
    public var ownMessagesSkipped = 0
    public var timersFired = 0
    /// Handlers that threw, failed a state read or write, or ran past their budget, by bot.
    public var handlerFailures: [String: Int] = [:]
    /// Handlers left behind, still running, past their budget.
    public var handlersAbandoned = 0
    /// Closed chats forgotten by retention.
    public var chatsForgotten = 0
    /// Catch-ups handled, and the events they recovered.
    public var catchUps = 0
    public var eventsRecovered = 0
    /// Live events skipped as repeats of what the world holds (a message or chat a
    /// catch-up recovered before its frame came, or a frame the backend sent twice).
    public var repeatsSkipped = 0
}

/// Errors the engine reports.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// Two bots share a name; names key state and timers, so they must be unique.
    case duplicateBotName(String)
    /// A handler ran past its time budget.
    case handlerTimedOut(bot: String, after: Duration)
    /// A state value could not be read (from the store, or as the type asked for); the
    /// handler's effects for the event are dropped.
    case stateUnreadable(bot: String, key: String, reason: String)
    /// A state value or timer payload could not be encoded as JSON; the handler's
    /// effects for the event are dropped.
    case stateUnwritable(bot: String, key: String, reason: String)
    /// A recording's reload names a bot the replay was not given.
    case unknownBotInRecording(String)

    public var description: String {
        switch self {
        case .duplicateBotName(let name): "two bots are named \"\(name)\"; bot names must be unique"
        case .handlerTimedOut(let bot, let timeout): "the handler of \(bot) ran past its budget of \(timeout)"
        case .stateUnreadable(let bot, let key, let reason): "the state \"\(key)\" of \(bot) could not be read: \(reason)"
        case .stateUnwritable(let bot, let key, let reason): "the state \"\(key)\" of \(bot) could not be written: \(reason)"
        case .unknownBotInRecording(let name): "the recording reloads a bot named \"\(name)\", which the replay does not have"
        }
    }
}

/// The installed bots, each with its metrics, kept by name across reloads.
struct BotLineup: Sendable {
    struct Member: Sendable {
        let bot: any Bot
        let metrics: EngineMetrics.BotMetrics
    }

    /// In the order their handlers run.
    let members: [Member]

    /// - Parameter previous: Whose metrics to keep for bots of the same name.
    init(_ bots: [any Bot], keeping previous: BotLineup?, metrics: EngineMetrics) throws {
        try Engine.checkNames(of: bots)
        members = bots.map { bot in
            Member(bot: bot, metrics: previous?.member(named: bot.name)?.metrics ?? metrics.bot(bot.name))
        }
    }

    func member(named name: String) -> Member? {
        members.first { $0.bot.name == name }
    }
}
