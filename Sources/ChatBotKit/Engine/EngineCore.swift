import DequeModule
import Foundation
import Logging

/// Everything the engine's sequence owns, behind the engine's one lock: the inputs
/// waiting, the world model, the bots' state, the unit being handled and the commits
/// not yet written.
///
/// Its methods are the sequence's steps, each quick and never waiting: the engine calls
/// them under the lock, and runs the handlers between them without it.
struct EngineCore: Sendable {
    init(world: WorldModel, state: StateTable, lineup: BotLineup, timers: TimerTable) {
        self.world = world
        self.state = state
        self.lineup = lineup
        self.latestLineup = lineup
        self.timers = timers
    }

    var slots: Deque<InputSlot> = []
    /// Units of the input taken from `slots`: its timers come due, then the input.
    var units: Deque<SequenceUnit> = []
    var work: Work?
    var world: WorldModel
    var state: StateTable
    var lineup: BotLineup
    /// The lineup last handed over (a reload's bots before their turn comes).
    var latestLineup: BotLineup
    /// The pending timers (a lock of its own: the engine's timer loop reads it too).
    let timers: TimerTable
    /// A chat's keys read from the store ahead of its event (see ``Engine``).
    var staged: [ChatID: [StoredBotState]] = [:]
    var loading: Set<ChatID> = []

    /// Which sequence task is the current one: a task whose handler ran past its
    /// budget is left behind, and a new one takes over.
    var generation = 0
    var running: Running?

    var submitted: Int64 = 0
    var handledThrough: Int64 = 0
    /// Handled, not yet taken by the committer: each commit with its input's number.
    var batch: [PendingCommit] = []
    var batchThrough: Int64 = 0
    var durableThrough: Int64 = 0
    /// Retention inputs handed over and not yet handled: an event behind one asks for
    /// its chat's details even if the chat is known now (it may be forgotten first).
    var forgetsQueued = 0
    /// Chats whose `new_chat` is handed over and not yet handled (how many times): an
    /// event behind one is in a chat about to be known, not an unknown one.
    var newChatsQueued: [ChatID: Int] = [:]
    /// State values' sizes as the committer encoded them, for the sequence to count.
    var encodedSizes: [(StoredStateKey, Int)] = []
    var closed = false
    var sequenceEnded = false
    /// Events handled and not yet durable, by input: counted in the metrics once they are.
    var undurableEvents: Deque<(input: Int64, type: EventType)> = []
    /// Outside calls sent and not yet answered.
    var callsInFlight = 0
    /// Outside calls named so far: each call's timer is named by its input and this.
    var callsNamed = 0
    var failure: (any Error)?
    var counters = EngineCounters()
    /// The catch-up being handled, by its input, and the last one handled whole: what
    /// ``Engine/catchUp(_:)`` returns.
    var catchUpInHand: (input: Int64, report: CatchUpReport)?
    var lastCatchUp: (input: Int64, report: CatchUpReport)?
    /// The input just taken from the queue, for the engine to record (a catch-up's
    /// recovered units come before its own, so it is told here, in queue order).
    var taken: InputSlot?

    /// A unit's commit, its state writes still values: the committer encodes them.
    struct PendingCommit: Sendable {
        let input: Int64
        var commit: Commit
        var stateWrites: [(key: StoredStateKey, value: (any Codable & Sendable)?)] = []
        /// Outside calls to make once this is durable: each with its bot and timer name.
        var calls: [(bot: String, name: String, record: CallRecord)] = []
    }

    /// The unit whose handlers are running.
    struct Work: Sendable {
        let unit: SequenceUnit
        let now: Date
        let metadata: Logger.Metadata
        let call: Call
        let members: [BotLineup.Member]
        var change: WorldModel.Change
        var next = 0
        var effects: [(bot: String, effects: BotEffects)] = []
    }

    enum Call: Sendable {
        case event(ChatEvent, recovered: Bool)
        case timer(FiredTimer)
        case answer(OutsideAnswer)

        var isRecovered: Bool {
            if case .event(_, true) = self { true } else { false }
        }
    }

    /// The handler running now, for the watchdog.
    struct Running: Sendable {
        let generation: Int
        let bot: String
        let metadata: Logger.Metadata
        let started: ContinuousClock.Instant
    }

    /// One handler to run: its bot and what it sees.
    struct HandlerCall: Sendable {
        let member: BotLineup.Member
        let call: Call
        let now: Date
        let metadata: Logger.Metadata
        let world: WorldModel
        let state: StateTable
    }

    // MARK: - Taking inputs

    /// The next unit, if one is ready: first the rest of the input in hand, then the
    /// next input, its timers due by its time first.
    mutating func nextUnit(startedAt: Date) -> SequenceUnit? {
        if let unit = units.popFirst() { return unit }
        guard let slot = slots.first, slot.isReady else { return nil }
        slots.removeFirst()
        taken = slot
        if let time = slot.input.time {
            timers.takeDue(at: time) { key, pending in
                units.append(.timer(key, pending, firedAt: time, isLate: pending.request.fireAt < startedAt, input: slot.number))
            }
        }
        if case .catchUp(let listing, let at) = slot.input {
            // Reconciled against the world as it stands now, after every input before:
            // what it recovers is handled next, before anything after it.
            var (events, report) = world.recoveries(from: listing)
            report.at = at
            units.append(contentsOf: events.map { .recovered($0, at: at, input: slot.number) })
            catchUpInHand = (slot.number, report)
        }
        units.append(.input(slot))
        return units.popFirst()
    }

    /// Index of input `number` among the slots waiting.
    func slotIndex(_ number: Int64) -> Int? {
        guard let first = slots.first?.number, number >= first, number - first < slots.count else { return nil }
        return Int(number - first)
    }

    // MARK: - Handling a unit

    /// Starts a unit: applies its world change, and picks the bots to run. Returns
    /// `false` when no handler runs (the unit is then finished already).
    mutating func begin(_ unit: SequenceUnit, serviceAccount: UserID, chatDetails: Bool, logger: Logger) -> Bool {
        switch unit {
        case .timer(let key, let pending, let firedAt, let isLate, _):
            counters.timersFired += 1
            let request = pending.request
            guard let member = lineup.member(named: key.bot) else {
                // Its bot is gone (a reload removed it): the timer is dropped.
                finish(unit, world: .init(), effects: [], at: firedAt)
                return false
            }
            var metadata: Logger.Metadata = ["timer.name": "\(request.name)", "timer.late": "\(isLate)"]
            metadata["chat.id"] = request.chatID.map { "\($0)" }
            if request.kind == CallRecord.timerKind {
                // An outside call whose answer never came: its bot is told so.
                guard let record = try? JSONDecoder().decode(CallRecord.self, from: Data(request.payload)) else {
                    finish(unit, world: .init(), effects: [], at: firedAt)
                    return false
                }
                let reason = isLate ? "the runtime stopped before the answer came" : "no answer within \(record.request.timeout)"
                work = Work(
                    unit: unit, now: firedAt, metadata: metadata, call: .answer(record.answer(.failed(reason: reason))), members: [member],
                    change: .init())
                return true
            }
            let fired = FiredTimer(
                kind: request.kind, name: request.name, chatID: request.chatID, payloadJSON: Data(request.payload),
                dueAt: request.fireAt, firedAt: firedAt, isLate: isLate
            )
            work = Work(unit: unit, now: firedAt, metadata: metadata, call: .timer(fired), members: [member], change: .init())
            return true
        case .recovered(let recovered, let at, _):
            return beginEvent(
                recovered.event, at: at, details: recovered.details, recovered: true, of: unit, serviceAccount: serviceAccount,
                chatDetails: chatDetails, logger: logger)
        case .input(let slot):
            switch slot.input {
            case .event(let event, let receivedAt):
                return beginEvent(
                    event, at: receivedAt, details: slot.details, of: unit, serviceAccount: serviceAccount, chatDetails: chatDetails, logger: logger)
            case .tick(let date):
                finish(unit, world: .init(), effects: [], at: date)
            case .directory(let entries):
                let change = world.learnDirectory(entries)
                finish(unit, world: change, effects: [], at: .distantPast)
            case .curators(let curators):
                let change = world.learnCurators(curators)
                finish(unit, world: change, effects: [], at: .distantPast)
            case .lineup(let new):
                lineup = new
                finish(unit, world: .init(), effects: [], at: .distantPast)
            case .forget(let at, let quietBefore):
                let chats = world.forgetClosedChats(quietBefore: quietBefore, limit: Engine.chatsForgottenPerCall)
                for chat in chats {
                    state.forget(chat, at: slot.number)
                    staged.removeValue(forKey: chat)
                }
                forgetsQueued -= 1
                timers.cancelAll(of: Set(chats))
                counters.chatsForgotten += chats.count
                finish(unit, world: .init(), effects: [], at: at, forgotten: chats.map { ForgottenChat(chatID: $0, at: at) })
            case .catchUp(_, let at):
                if let (input, report) = catchUpInHand, input == slot.number {
                    catchUpInHand = nil
                    lastCatchUp = (input, report)
                    counters.catchUps += 1
                    counters.eventsRecovered += report.events
                    let level: Logger.Level = report.events > 0 ? .notice : .info
                    logger.log(
                        level: level, "caught up: \(report)",
                        metadata: [
                            "catchup.chats_listed": "\(report.chatsListed)", "catchup.events": "\(report.events)",
                        ])
                }
                finish(unit, world: .init(), effects: [], at: at)
            case .answer(let bot, let call, _, let outcome, let at):
                // Only the first word counts: an answer after its timeout fired is dropped.
                // Its timer goes, in memory as in the store, whether or not the bot hears it.
                let key = TimerKey(bot: bot, name: call)
                let request = timers.request(of: key)
                timers.cancel(key)
                guard let request, let member = lineup.member(named: bot),
                    let record = try? JSONDecoder().decode(CallRecord.self, from: Data(request.payload))
                else {
                    finish(unit, world: .init(), effects: [], at: at)
                    return false
                }
                var metadata: Logger.Metadata = ["call.kind": "\(record.kind)"]
                metadata["chat.id"] = record.chatID.map { "\($0)" }
                work = Work(unit: unit, now: at, metadata: metadata, call: .answer(record.answer(outcome)), members: [member], change: .init())
                return true
            }
            return false
        }
    }

    /// Starts an event's unit (received live, or recovered by a catch-up): learns an
    /// unknown chat's details, applies the event to the world, and picks the bots.
    private mutating func beginEvent(
        _ event: ChatEvent, at receivedAt: Date, details: ChatDetails?, recovered: Bool = false, of unit: SequenceUnit,
        serviceAccount: UserID, chatDetails: Bool, logger: Logger
    ) -> Bool {
        counters.eventsHandled += 1
        undurableEvents.append((unit.input, event.type))
        if !recovered, case .newChat(let opened) = event, let queued = newChatsQueued[opened.chatID] {
            newChatsQueued[opened.chatID] = queued > 1 ? queued - 1 : nil
        }
        var metadata = Self.metadata(of: event)
        if recovered { metadata["event.recovered"] = "true" }
        if !recovered, isRepeat(event) {
            // Seen already (a catch-up recovered it before its frame came, or the
            // backend sent it twice): the bots have had it.
            counters.repeatsSkipped += 1
            logger.debug("event seen already; skipped", metadata: metadata)
            finish(unit, world: .init(), effects: [], at: receivedAt)
            return false
        }
        var change = WorldModel.Change()
        if let chat = event.chatID, world.chats[chat] == nil, recovered || !event.isNewChat {
            // A chat forgotten, or opened while the runtime was away: what the
            // chat-details route (or the catch-up's listing) said of it, or a word that
            // its client is not known.
            if let details {
                change = world.learn(details, of: chat)
            } else if !recovered {
                logger.info(
                    "an event in a chat the runtime does not know (forgotten, or opened while it was away); its client is not known",
                    metadata: metadata)
            }
        }
        change.formUnion(world.apply(event, at: receivedAt))
        if case .newChat(let opened) = event, chatDetails || recovered {
            change.formUnion(world.setTopic(details?.topic, of: opened.chatID))
        }
        if let chat = event.chatID { state.touch(chat, at: unit.input) }
        logger.debug("event", metadata: metadata.merging(["event.summary": "\(event.summary)"]) { $1 })
        if Self.isOwnMessage(event, serviceAccount: serviceAccount) {
            counters.ownMessagesSkipped += 1
            finish(unit, world: change, effects: [], at: receivedAt)
            return false
        }
        work = Work(
            unit: unit, now: receivedAt, metadata: metadata, call: .event(event, recovered: recovered), members: lineup.members, change: change)
        return true
    }

    /// Whether a live event repeats one the world holds: a message already kept, or a
    /// `new_chat` of a chat opened and not closed.
    private func isRepeat(_ event: ChatEvent) -> Bool {
        switch event {
        case .newMessage(let message):
            return world.chats[message.chatID]?.message(message.id) != nil
        case .newChat(let opened):
            guard let chat = world.chats[opened.chatID] else { return false }
            return chat.openedAt != nil && !world.isClosed(chat)
        default:
            return false
        }
    }

    /// The next handler of the unit in hand, for the task of `generation`; `nil` when
    /// all have run (or the task has been left behind).
    mutating func nextCall(generation: Int) -> HandlerCall? {
        guard generation == self.generation, var work, work.next < work.members.count else { return nil }
        let member = work.members[work.next]
        work.next += 1
        self.work = work
        running = Running(generation: generation, bot: member.bot.name, metadata: work.metadata, started: .now)
        return HandlerCall(member: member, call: work.call, now: work.now, metadata: work.metadata, world: world, state: state)
    }

    /// Records a handler's effects (`nil`: it failed); `false` if the task of
    /// `generation` was left behind meanwhile, and must stop.
    mutating func record(_ effects: BotEffects?, of bot: String, generation: Int) -> Bool {
        guard generation == self.generation else { return false }
        running = nil
        if let effects {
            work?.effects.append((bot, effects))
        } else {
            counters.handlerFailures[bot, default: 0] += 1
        }
        return true
    }

    /// Ends the unit in hand: applies its bots' effects and queues its commit.
    mutating func finishWork() {
        guard let work else { return }
        self.work = nil
        finish(work.unit, world: work.change, effects: work.effects, at: work.now)
    }

    /// Applies a unit's world change and effects, in memory, and queues what to store.
    private mutating func finish(
        _ unit: SequenceUnit, world change: WorldModel.Change, effects: [(bot: String, effects: BotEffects)], at now: Date,
        forgotten: [ForgottenChat] = []
    ) {
        let number = unit.input
        var pending = PendingCommit(input: number, commit: world.commit(for: change))
        pending.commit.chatsForgotten = forgotten
        switch unit {
        case .timer(let key, _, _, _, _):
            // Fired and not rescheduled by its own handler (a cancel of itself included):
            // it is done.
            if !effects.contains(where: { $0.bot == key.bot && ($0.effects.timers[key.name] ?? nil) != nil }) {
                pending.commit.timersRemoved.append(key)
            }
        case .recovered:
            break
        case .input(let slot):
            handledThrough = number
            if case .answer(let bot, let call, _, _, _) = slot.input { pending.commit.timersRemoved.append(TimerKey(bot: bot, name: call)) }
        }
        for (bot, recorded) in effects {
            apply(recorded, of: bot, input: number, now: now, into: &pending)
        }
        if !pending.commit.isEmpty || !pending.stateWrites.isEmpty {
            batch.append(pending)
        }
        // An input counts as handled (and its commits as all queued) once its own unit
        // is done: the timers it fired come before it, with its number.
        if case .input = unit { batchThrough = max(batchThrough, number) }
    }

    private mutating func apply(_ effects: BotEffects, of bot: String, input: Int64, now: Date, into pending: inout PendingCommit) {
        for (chat, loaded) in effects.loadedChats where !state.isResident(chat) {
            state.install(chat, loaded)
        }
        for (key, value) in effects.decoded where effects.stateWrites[key] == nil {
            state.keepDecoded(key, value)
        }
        for (key, value) in effects.stateWrites {
            // Counted at its last known size until the committer has encoded it.
            let bytes = max(0, (state.entry(key)?.bytes ?? 2 * StateTable.Entry.overhead) - StateTable.Entry.overhead)
            state.write(key, value.map { .value($0, bytes: bytes) }, at: input)
            pending.stateWrites.append((key, value))
        }
        for (name, request) in effects.timers {
            let key = TimerKey(bot: bot, name: name)
            if let request {
                timers.schedule(key, request)
                pending.commit.timersScheduled.append(StoredTimer(bot: bot, request: request))
            } else if timers.cancel(key) {
                // Only a timer that is pending has a row to delete: the table holds
                // every one the store does.
                pending.commit.timersRemoved.append(key)
            }
        }
        for (call, json) in effects.calls {
            // Kept as a durable timer, due once the call has timed out (with a margin
            // for the answer to enter the sequence): see ``CallRecord``.
            // Named by its input and place: the same live and replayed. (A name still
            // pending from an earlier run, whose inputs were numbered from 1 too, is skipped.)
            var name = ""
            repeat {
                callsNamed += 1
                name = "\(CallRecord.timerKind).\(input).\(callsNamed)"
            } while timers.request(of: TimerKey(bot: bot, name: name)) != nil
            let due = now.addingTimeInterval(call.request.timeout.timeInterval + 5)
            let request = TimerRequest(name: name, kind: CallRecord.timerKind, fireAt: due, chatID: call.chatID, payload: json)
            let key = TimerKey(bot: bot, name: name)
            timers.schedule(key, request)
            pending.commit.timersScheduled.append(StoredTimer(bot: bot, request: request))
            pending.calls.append((bot, name, call))
        }
        for planned in effects.actions {
            pending.commit.actions.append(
                OutboxEntry(
                    idempotencyKey: "chatbots-\(UUID().uuidString.lowercased())", bot: bot, action: planned.action,
                    createdAt: now, nextAttemptAt: now,
                    expiresAt: planned.expiresAfter.map { now.addingTimeInterval($0.timeInterval) }
                ))
        }
    }

    /// Counts state values at the sizes the committer encoded them at. (Between units:
    /// changing the table while a handler holds a copy of it copies all of it.)
    mutating func countEncodedSizes() {
        guard !encodedSizes.isEmpty else { return }
        for (key, bytes) in encodedSizes { state.resize(key, to: bytes) }
        encodedSizes.removeAll(keepingCapacity: true)
    }

    // MARK: - Helpers

    static func metadata(of event: ChatEvent) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["event.type": "\(event.type)"]
        metadata["chat.id"] = event.chatID.map { "\($0)" }
        return metadata
    }

    static func isOwnMessage(_ event: ChatEvent, serviceAccount: UserID) -> Bool {
        switch event {
        case .newMessage(let message), .updateMessage(let message):
            message.senderID == serviceAccount
        default:
            false
        }
    }
}

extension ChatEvent {
    fileprivate var isNewChat: Bool {
        if case .newChat = self { true } else { false }
    }
}
