import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Applies events and fired timers to the world model and the bots, and commits what
/// they decide.
///
/// Events of one chat are handled in arrival order; different chats run at the same
/// time. For each event the engine updates the world model, runs every bot's handler
/// (skipping the service account's own messages), and commits the world change and the
/// bots' effects in one transaction. A bot that throws or times out loses only its own
/// effects for that event.
///
/// ```swift
/// let engine = try await Engine(bots: [Greeter()], store: store, configuration: .init(serviceAccountID: "1000"), logger: logger)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await engine.run() }
///     await engine.submit(event, receivedAt: Date())
///     await engine.finish()
/// }
/// ```
public final class Engine: Sendable {
    public let configuration: EngineConfiguration
    /// The installed bots and their gates; a reload replaces them between events.
    private let lineup: Mutex<BotLineup>
    private let clock: any EngineClock
    private let logger: Logger
    private let world: SharedWorld
    private let cache: BotStateCache
    private let store: any Store
    private let timers: TimerTable
    private let lanes = LaneRouter()
    private let drains = LaneDrains()
    private let committer: CommitCoordinator
    private let watchdog: HandlerWatchdog
    private let startedAt: Date
    private let counters = Mutex(EngineCounters())
    private let metrics: EngineMetrics

    /// Creates an engine over what `store` holds.
    ///
    /// - Parameters:
    ///   - bots: The bots, in the order their handlers run for each event. Names must be unique.
    ///   - metricsFactory: Where the engine's metrics go (events handled by type,
    ///     handler duration and failures by bot); swift-metrics' global factory by default.
    ///   - onActionsCommitted: Called after each transaction that stored actions, with
    ///     their number: the delivery side's cue to look at the outbox.
    public init(
        bots: [any Bot],
        store: any Store,
        clock: any EngineClock = SystemClock(),
        configuration: EngineConfiguration,
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        onActionsCommitted: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let metrics = EngineMetrics(factory: metricsFactory)
        let lineup = try BotLineup(bots, keeping: nil, metrics: metrics)
        // A store that reads state a key at a time is not asked for any at start.
        let snapshot: StoreSnapshot
        let cache: BotStateCache
        if let onDemand = store as? any StateOnDemandStore {
            snapshot = try await onDemand.loadWithoutState()
            let epoch = try await onDemand.beginStateEpoch()
            guard epoch > 0, epoch < BotStateCache.epochLimit else { throw EngineError.stateEpochOutOfRange(epoch) }
            cache = BotStateCache(
                source: { key in try onDemand.storedState(bot: key.bot, key: key.key) },
                budget: configuration.stateBytesInMemory, epoch: epoch
            )
        } else {
            snapshot = try await store.load()
            cache = BotStateCache(snapshot.botState)
        }
        self.cache = cache
        self.store = store
        self.configuration = configuration
        self.lineup = Mutex(lineup)
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        world = SharedWorld(WorldModel(
            serviceAccountID: configuration.serviceAccountID, roster: configuration.curatorRoster,
            closedStatuses: configuration.closedStatuses, messageLimit: configuration.messagesKeptPerChat,
            chats: snapshot.chats, users: snapshot.users
        ))
        timers = TimerTable(snapshot.timers)
        startedAt = clock.now()
        watchdog = HandlerWatchdog(timeout: configuration.handlerTimeout)
        committer = CommitCoordinator(
            store: store, world: world, cache: cache, timers: timers, maxBatch: configuration.maxCommitBatch,
            onActionsCommitted: onActionsCommitted
        )
    }

    /// Runs the lanes, the committer and the timers until ``finish()`` or cancellation.
    /// Throws if the store fails: the runtime must stop then, not go on unrecorded.
    public func run() async throws {
        // However run ends, nobody will drain the lanes after it: release idle waiters.
        defer { lanes.abandon() }
        // Outside the group: handlers must stay watched until the last drain has ended,
        // even when a failure has cancelled the group's children.
        let watching = Task { await watchdog.run() }
        defer { watching.cancel() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.abandoningLanesOnFailure { try await self.committer.run() } }
            group.addTask { try await self.fireTimers() }
            for await lane in lanes.ready {
                startDrain(lane)
            }
            // Closed by finish() (or abandoned): let what was queued before the close be
            // handled and committed, then stop the committer and the timers. Cancelled,
            // nothing more is handled: give up the rest.
            await withTaskCancellationHandler {
                await lanes.waitUntilIdle()
            } onCancel: {
                lanes.abandon()
                drains.stopAll()
            }
            // As a task group would: return only once no lane is being drained.
            await drains.waitUntilNone()
            group.cancelAll()
        }
    }

    /// Runs `body`; if it throws (the store failed), takes no more work and ends the
    /// lanes, so ``run()`` ends with the error instead of waiting for lanes forever.
    private func abandoningLanesOnFailure(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            if !(error is CancellationError) {
                lanes.abandon()
                // Nothing after a lost write counts: the handlers still running stop too.
                drains.stopAll()
            }
            throw error
        }
    }

    /// Hands over one event, in the order it arrived on the socket. Returns at once;
    /// the event is handled in its chat's lane.
    public func submit(_ event: ChatEvent, receivedAt: Date) {
        guard lanes.enqueue(.event(event, receivedAt: receivedAt), in: .of(event)) else {
            logger.warning("event after shutdown dropped", metadata: ["event.type": "\(event.type)"])
            return
        }
    }

    /// Hands over one event like ``submit(_:receivedAt:)``, but first waits while
    /// `configuration.maxQueuedEvents` events (and timers) are queued and not yet
    /// handled. The gateway admits events this way (from its bounded read buffer), so a
    /// flood is held back at the socket, by TCP, instead of piling up in memory.
    /// Returns at once after shutdown or cancellation.
    public func admit(_ event: ChatEvent, receivedAt: Date) async {
        let limit = configuration.maxQueuedEvents
        while lanes.outstanding >= limit, !Task.isCancelled {
            let token = lanes.room.token
            guard lanes.outstanding >= limit else { break }
            await lanes.room.wait(since: token)
        }
        submit(event, receivedAt: receivedAt)
    }

    /// How many events and timers are queued or being handled now.
    public var queuedWork: Int {
        lanes.outstanding
    }

    /// Returns once every event submitted so far is handled and committed.
    public func waitUntilIdle() async {
        await lanes.waitUntilIdle()
    }

    /// Stops: lets submitted work finish and commit, then ends ``run()``.
    public func finish() async {
        // Close first: a timer coming due between "idle" and "closed" would otherwise
        // slip in and be cut off by the stop. Work queued before the close still runs.
        lanes.close()
        await lanes.waitUntilIdle()
    }

    /// Learns the curators of the backend's directory and their topics, and commits
    /// what changed. Returns once it is durable.
    public func learnDirectory(_ entries: [DirectoryEntry]) async throws {
        let change = world.update { $0.learnDirectory(entries) }
        guard !change.isEmpty else { return }
        try await commit(change: change, effects: [], firedTimer: nil)
    }

    /// Replaces the installed bots, for a configuration reload: events handled from now
    /// on see the new ones; an event already being handled finishes with the old. A bot
    /// keeps its state, timers and gate under the same name.
    ///
    /// - Throws: ``EngineError/duplicateBotName(_:)``; the old bots stay then.
    public func replaceBots(_ bots: [any Bot]) throws {
        try lineup.withLock { current in
            current = try BotLineup(bots, keeping: current, metrics: metrics)
        }
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

    /// The names of the installed bots, in the order they run.
    public var botNames: [String] {
        lineup.withLock { $0.members.map(\.bot.name) }
    }

    /// Marks users as curators (a roster grown by a reload) and commits what changed.
    public func learnCurators(_ curators: [UserID]) async throws {
        let change = world.update { $0.learnCurators(curators) }
        guard !change.isEmpty else { return }
        try await commit(change: change, effects: [], firedTimer: nil)
    }

    /// Counts of what happened, for metrics and tests.
    public var statistics: EngineCounters {
        counters.withLock { $0 }
    }

    /// The world model as it is now.
    public var worldModel: WorldModel {
        world.read { $0 }
    }

    /// One bot's state, as JSON values by key: what the store holds, with what the
    /// engine holds newer (not yet written, or written since the store was read). For
    /// inspection and tests: with a ``StateOnDemandStore`` it reads all of the bot's
    /// keys from the store.
    public func state(of bot: String) async throws -> [String: Data] {
        let held = cache.held(bot: bot)
        var newest: [String: (data: Data?, version: Int64)] = [:]
        // A store that is not read on demand was loaded whole: the cache holds it all.
        for item in try await (store as? any StateOnDemandStore)?.storedStates(bot: bot) ?? [] {
            newest[item.key] = (item.data, item.version)
        }
        for (key, value) in held where value.version > newest[key]?.version ?? .min {
            newest[key] = value
        }
        return newest.compactMapValues(\.data)
    }

    /// What the bot state held in memory counts against
    /// ``EngineConfiguration/stateBytesInMemory`` now; the rest is in the store.
    public var stateBytesInMemory: Int {
        cache.bytesInMemory
    }

    /// The timers pending now.
    public var pendingTimers: [TimerKey: TimerRequest] {
        timers.all
    }

    /// How many timers are pending now (cheap, for metrics).
    public var pendingTimerCount: Int {
        timers.count
    }

    // MARK: - Lanes

    /// Drains a lane in a task of its own. A store failure ends the lanes (the
    /// committer's own failure ends ``run()`` with it).
    private func startDrain(_ lane: LaneRouter.Lane) {
        drains.start { drain in
            try? await self.abandoningLanesOnFailure {
                try await self.drain(lane, in: drain)
            }
        }
    }

    private func drain(_ lane: LaneRouter.Lane, in drain: LaneDrains.Drain) async throws {
        while let work = lanes.next(in: lane) {
            defer { lanes.finished() }
            try await handle(work, in: drain)
            if drain.hasTimedOut {
                // This task is cancelled for good: a new one takes the rest of the lane.
                startDrain(lane)
                return
            }
        }
    }

    /// Handles one unit of a lane's work, its handlers inline in `drain`'s task.
    private func handle(_ work: LaneRouter.Work, in drain: LaneDrains.Drain) async throws {
        switch work {
        case .event(let event, let receivedAt):
            var change = world.apply(event, at: receivedAt)
            if case .newChat(let opened) = event, let details = configuration.chatDetails {
                let topic = await details.topic(of: opened.chatID)
                change.formUnion(world.update { $0.setTopic(topic, of: opened.chatID) })
            }
            logger.debug("event", metadata: {
                var metadata = eventMetadata(event)
                metadata["event.summary"] = "\(event.summary)"
                return metadata
            }())
            if isOwnMessage(event) {
                counters.withLock { $0.ownMessagesSkipped += 1 }
                try await commit(change: change, effects: [], firedTimer: nil)
            } else {
                let lineup = lineup.withLock { $0 }
                try await runBots(
                    lineup.members, gates: lineup.gatesInLockOrder, in: drain, change: change, firedTimer: nil, describe: eventMetadata(event)
                ) { bot, context in
                    try await bot.handle(event, in: context)
                }
            }
            // Counted once committed: "handled" means durable, as the metric's help says.
            counters.withLock { $0.eventsHandled += 1 }
            metrics.handled(event.type)
        case .timer(let key, let pending, let isLate):
            guard let member = lineup.withLock({ $0.member(named: key.bot) }) else {
                logger.warning("timer of a bot that is not installed dropped", metadata: ["bot.name": "\(key.bot)", "timer.name": "\(key.name)"])
                try await commit(change: .init(), effects: [], firedTimer: (key, pending.generation))
                return
            }
            let request = pending.request
            let payload: JSONValue
            do {
                payload = try request.decodedPayload()
            } catch {
                // Stored by this runtime from a JSON value, so only a damaged store gets here:
                // the timer still fires, with what could be read said in the log.
                logger.error("a timer's stored payload does not parse; it fires without it", metadata: [
                    "bot.name": "\(key.bot)", "timer.name": "\(key.name)", "error": "\(error)",
                ])
                payload = .null
            }
            let fired = FiredTimer(
                name: request.name, chatID: request.chatID, payload: payload,
                dueAt: request.fireAt, firedAt: clock.now(), isLate: isLate
            )
            counters.withLock { $0.timersFired += 1 }
            var metadata: Logger.Metadata = ["timer.name": "\(request.name)", "timer.late": "\(isLate)"]
            metadata["chat.id"] = request.chatID.map { "\($0)" }
            try await runBots([member], gates: [member.gate], in: drain, change: .init(), firedTimer: (key, pending.generation), describe: metadata) { bot, context in
                try await bot.timerFired(fired, in: context)
            }
        }
    }

    private func isOwnMessage(_ event: ChatEvent) -> Bool {
        switch event {
        case .newMessage(let message), .updateMessage(let message):
            message.senderID == configuration.serviceAccountID
        default:
            false
        }
    }

    /// Runs the bots' handlers and commits their effects. Handlers of different chats
    /// run side by side under their bots' shared gates; if a handler's state reads were
    /// overtaken by another chat's accepted proposal, the event's handlers run again
    /// under the exclusive gates, where nothing can overtake them.
    ///
    /// The gates are held only until the proposal is accepted, not while its batch is
    /// written: an exclusive rerun waits for handlers, never for the disk.
    ///
    /// `selected` and `gates` come from one lineup, read once: bots and gates always
    /// match, even while a reload installs another lineup. `gates` are the selected
    /// bots' gates in the lineup's lock order.
    private func runBots(
        _ selected: [BotLineup.Member], gates selectedGates: [BotGate], in drain: LaneDrains.Drain, change: WorldModel.Change,
        firedTimer: (key: TimerKey, generation: Int64)?, describe metadata: Logger.Metadata,
        _ body: @escaping @Sendable (any Bot, BotContext) async throws -> Void
    ) async throws {
        let propose = { try await self.runAndPropose(selected, in: drain, change: change, firedTimer: firedTimer, metadata: metadata, body) }
        switch try await holding(selectedGates, exclusively: false, propose) {
        case .accepted(let sequence):
            try await committer.waitUntilDurable(sequence)
        case .conflict(let stale, let unverified):
            counters.withLock { $0.conflictReruns += stale.count }
            if let unverified { logger.warning("a state read could not be checked; the bots run again", metadata: metadata.merging(["error": "\(unverified)"]) { $1 }) }
            switch try await holding(selectedGates, exclusively: true, propose) {
            case .accepted(let sequence):
                try await committer.waitUntilDurable(sequence)
            case .conflict(_, let unverified):
                // Overtaken under the exclusive gates cannot happen; a read the store
                // could not vouch for twice can. Either way the effects are dropped with
                // the reason in the log, rather than committed on reads nobody checked.
                logger.error("the bots' effects for this event are dropped: \(unverified ?? "handlers overtaken under their exclusive gates")", metadata: metadata)
                try await commit(change: change, effects: [], firedTimer: firedTimer)
            }
        }
    }

    /// Runs `body` holding `gates` (in lock order), shared or exclusively.
    private func holding<T>(_ gates: [BotGate], exclusively: Bool, _ body: () async throws -> T) async throws -> T {
        for gate in gates {
            if exclusively { await gate.acquireExclusive() } else { await gate.acquireShared() }
        }
        defer {
            for gate in gates {
                if exclusively { gate.releaseExclusive() } else { gate.releaseShared() }
            }
        }
        return try await body()
    }

    private func runAndPropose(
        _ selected: [BotLineup.Member], in drain: LaneDrains.Drain, change: WorldModel.Change, firedTimer: (key: TimerKey, generation: Int64)?,
        metadata: Logger.Metadata, _ body: @escaping @Sendable (any Bot, BotContext) async throws -> Void
    ) async throws -> CommitCoordinator.Outcome {
        let effects = await runHandlers(selected, in: drain, metadata: metadata, body)
        return try committer.propose(.init(world: change, effects: effects, firedTimer: firedTimer, now: clock.now()))
    }

    /// Runs the handlers in order; returns the effects of each that finished in time.
    ///
    /// They run inline in the lane's drain task, with no task or timer of their own:
    /// the watchdog cancels the drain task when a handler passes its timeout, and the
    /// handlers after it go on in new tasks (``runInOwnTasks(_:stopping:metadata:_:)``).
    private func runHandlers(
        _ members: [BotLineup.Member], in drain: LaneDrains.Drain, metadata: Logger.Metadata, _ body: @escaping @Sendable (any Bot, BotContext) async throws -> Void
    ) async -> [(bot: String, effects: BotEffects)] {
        var effects: [(bot: String, effects: BotEffects)] = []
        for (offset, member) in members.enumerated() {
            // Stopping: the handlers not started yet are not started.
            guard !drain.isStopped else { return effects }
            guard !drain.hasTimedOut else {
                // The drain task is cancelled for good now: not a reason to cut these short.
                return effects + (await runInOwnTasks(members[offset...], stopping: { drain.isStopped }, metadata: metadata, body))
            }
            if let recorded = await runHandler(of: member, onTimeout: { drain.timeOut() }, metadata: metadata, body) {
                effects.append((member.bot.name, recorded))
            }
        }
        return effects
    }

    /// Runs handlers one after another in a task for them, which the watchdog cancels
    /// when one passes its timeout; the ones after it go on in a new task, each with
    /// its full time. The caller's task is cancelled for good (its drain timed out), so
    /// its cancellation is not passed on: each handler still ends by its timeout at the
    /// latest, and none starts once `stopping` says so.
    private func runInOwnTasks(
        _ members: ArraySlice<BotLineup.Member>, stopping: @escaping @Sendable () -> Bool,
        metadata: Logger.Metadata, _ body: @escaping @Sendable (any Bot, BotContext) async throws -> Void
    ) async -> [(bot: String, effects: BotEffects)] {
        var effects: [(bot: String, effects: BotEffects)] = []
        var next = members.startIndex
        while next < members.endIndex, !stopping() {
            let canceller = TaskCanceller()
            let remaining = members[next...]
            // What each handler that ended ended with: its effects, or nil (threw, timed out).
            let task = Task { () -> [(bot: String, effects: BotEffects?)] in
                var finished: [(bot: String, effects: BotEffects?)] = []
                for member in remaining {
                    // Cancelled by the watchdog: the rest go on in a new task.
                    guard !Task.isCancelled, !stopping() else { break }
                    finished.append((member.bot.name, await self.runHandler(of: member, onTimeout: { canceller.cancel() }, metadata: metadata, body)))
                }
                return finished
            }
            canceller.attach { task.cancel() }
            let finished = await task.value
            // Only a stop ends a task before its first handler ends.
            guard !finished.isEmpty else { break }
            effects += finished.compactMap { bot, recorded in recorded.map { (bot, $0) } }
            next += finished.count
        }
        return effects
    }

    /// One handler run, watched for its timeout (`onTimeout` cancels the task it runs
    /// in); `nil` when it threw or timed out.
    private func runHandler(
        of member: BotLineup.Member, onTimeout: @escaping @Sendable () -> Void, metadata: Logger.Metadata,
        _ body: @escaping @Sendable (any Bot, BotContext) async throws -> Void
    ) async -> BotEffects? {
        let bot = member.bot
        var botLogger = logger
        for (key, value) in metadata { botLogger[metadataKey: key] = value }
        botLogger[metadataKey: "bot.name"] = "\(bot.name)"
        let context = BotContext(botName: bot.name, now: clock.now(), logger: botLogger, world: WorldView(world), cache: cache, actionExpiry: bot.actionExpiry)
        let timeout = configuration.handlerTimeout
        let botMetrics = member.metrics
        let started = ContinuousClock.now
        defer { botMetrics.handlerDuration.recordSeconds(started.duration(to: .now).timeInterval) }
        let watch = watchdog.watch(onExpiry: onTimeout)
        do {
            do {
                try await body(bot, context)
            } catch {
                if watch.finish() { throw EngineError.handlerTimedOut(bot: bot.name, after: timeout) }
                throw error
            }
            // A handler that swallowed the cancellation and returned is still too late.
            if watch.finish() { throw EngineError.handlerTimedOut(bot: bot.name, after: timeout) }
            // One that caught a failed state read decided without what it asked for.
            if let failure = context.stateReadFailure { throw failure }
            return context.recorded
        } catch {
            counters.withLock { $0.handlerFailures[bot.name, default: 0] += 1 }
            if case EngineError.handlerTimedOut = error {
                botMetrics.failedByTimeout.increment()
            } else {
                botMetrics.failedByError.increment()
            }
            botLogger.error("handler failed; its effects for this event are dropped", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Commits what no handler read state for (a world change alone, a dropped timer),
    /// and waits until it is durable.
    private func commit(
        change: WorldModel.Change, effects: [(bot: String, effects: BotEffects)], firedTimer: (key: TimerKey, generation: Int64)?
    ) async throws {
        let outcome = try committer.propose(.init(world: change, effects: effects, firedTimer: firedTimer, now: clock.now()))
        guard case .accepted(let sequence) = outcome else { return }
        try await committer.waitUntilDurable(sequence)
    }

    private func eventMetadata(_ event: ChatEvent) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["event.type": "\(event.type)"]
        metadata["chat.id"] = event.chatID.map { "\($0)" }
        return metadata
    }

    // MARK: - Timers

    /// Hands every timer due by the engine clock's now to its lane, then returns once
    /// everything is handled and committed. For tests on a virtual clock: advance the
    /// clock, then call this.
    public func fireDueTimers() async {
        fireDueTimers(at: clock.now())
        await lanes.waitUntilIdle()
    }

    private func fireDueTimers(at now: Date) {
        timers.takeDue(at: now) { key, pending in
            let isLate = pending.request.fireAt < startedAt
            lanes.enqueue(.timer(key, pending, isLate: isLate), in: .of(timer: pending.request))
        }
    }

    /// Fires timers as they come due, each in its chat's lane. Timers that came due
    /// before the engine started fire at once, marked late.
    private func fireTimers() async throws {
        while !Task.isCancelled {
            let token = timers.changes.token
            fireDueTimers(at: clock.now())
            let next = timers.nextDue()
            await withTaskGroup(of: Void.self) { group in
                if let next {
                    group.addTask { try? await self.clock.sleep(until: next) }
                }
                group.addTask { await self.timers.changes.wait(since: token) }
                await group.next()
                group.cancelAll()
            }
        }
    }
}

/// Counts of what the engine did.
public struct EngineCounters: Sendable, Hashable {
    public var eventsHandled = 0
    public var ownMessagesSkipped = 0
    public var timersFired = 0
    public var conflictReruns = 0
    /// Handlers that threw or timed out, by bot.
    public var handlerFailures: [String: Int] = [:]
}

/// Errors the engine reports.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// Two bots share a name; names key state and timers, so they must be unique.
    case duplicateBotName(String)
    /// A handler ran past the configured timeout.
    case handlerTimedOut(bot: String, after: Duration)
    /// A state value could not be read back from the store; the handler's effects for
    /// the event are dropped, whether or not it caught the error.
    case stateUnreadable(bot: String, key: String, reason: String)
    /// The store handed out a state epoch the engine cannot number versions from (one
    /// per start, up to about four million starts).
    case stateEpochOutOfRange(Int64)

    public var description: String {
        switch self {
        case .duplicateBotName(let name): "two bots are named \"\(name)\"; bot names must be unique"
        case .handlerTimedOut(let bot, let timeout): "the handler of \(bot) ran past its timeout of \(timeout)"
        case .stateUnreadable(let bot, let key, let reason): "the state \"\(key)\" of \(bot) could not be read from the store: \(reason)"
        case .stateEpochOutOfRange(let epoch): "the store's state epoch \(epoch) is out of range (1 to \(BotStateCache.epochLimit - 1))"
        }
    }
}

/// The installed bots, each with what the engine keeps for it by name: its gate (see
/// ``BotGate``) and its metrics.
struct BotLineup: Sendable {
    struct Member: Sendable {
        let bot: any Bot
        let gate: BotGate
        let metrics: EngineMetrics.BotMetrics
    }

    /// In the order their handlers run.
    let members: [Member]
    /// Every member's gate, ordered by bot name. Every event takes its gates in this one
    /// order, whatever order its lineup runs the bots in, so two events can never each
    /// hold a gate the other waits for, not even across a reload that reorders bots.
    let gatesInLockOrder: [BotGate]

    /// - Parameter previous: Whose gates and metrics to keep for bots of the same name,
    ///   so that a handler running under an old gate still excludes one started after a
    ///   reload.
    init(_ bots: [any Bot], keeping previous: BotLineup?, metrics: EngineMetrics) throws {
        try Engine.checkNames(of: bots)
        members = bots.map { bot in
            let kept = previous?.member(named: bot.name)
            return Member(bot: bot, gate: kept?.gate ?? BotGate(), metrics: kept?.metrics ?? metrics.bot(bot.name))
        }
        gatesInLockOrder = members.sorted { $0.bot.name < $1.bot.name }.map(\.gate)
    }

    func member(named name: String) -> Member? {
        members.first { $0.bot.name == name }
    }
}
