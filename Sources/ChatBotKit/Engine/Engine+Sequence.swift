import CoreMetrics
import DequeModule
import Foundation
import Logging
import Synchronization

extension Engine {
    /// Starts the task that runs the sequence, on a thread of its own (see
    /// ``SequenceThread``). A handler past its budget keeps its task and thread; the
    /// watchdog starts a new one, of the next generation, which takes over at the
    /// handler after it. (Unstructured, so that ``run()`` can end without waiting for a
    /// handler that never returns.)
    func startSequence(generation: Int) {
        let thread = SequenceThread(name: "chatbots.sequence.\(generation)")
        Task(executorPreference: thread) {
            defer { thread.retire() }
            await self.sequence(generation: generation)
        }
    }

    /// Handles units in order until the engine closes and drains, fails, or this task
    /// is left behind.
    private func sequence(generation: Int) async {
        while true {
            let token = inputsChanged.token
            let step = core.withLock { core in nextStep(in: &core, generation: generation) }
            switch step {
            case .stop:
                durable.notify()
                return
            case .wait:
                await inputsChanged.wait(since: token)
            case .load(let chat):
                await load(chat)
            case .handled:
                unitsHandled.notify()
            case .runHandlers:
                guard runHandlers(generation: generation) else { return }
                let evictionBudget = configuration.stateBytesInMemory
                core.withLock { core in
                    core.finishWork()
                    core.state.evict(budget: evictionBudget, durableThrough: core.durableThrough)
                }
                unitsHandled.notify()
            }
        }
    }

    private enum Step {
        case stop, wait, handled, runHandlers
        case load(ChatID)
    }

    /// What the sequence does next, decided under the lock.
    private func nextStep(in core: inout EngineCore, generation: Int) -> Step {
        guard core.generation == generation else { return .stop }
        core.countEncodedSizes()
        if core.failure != nil {
            core.sequenceEnded = true
            return .stop
        }
        // A task taking over finishes the unit in hand first.
        if core.work != nil { return .runHandlers }
        // The writes lag far behind: let them catch up before going on.
        if core.batch.count >= 4 * configuration.maxCommitBatch { return .wait }
        let next = core.nextUnit(startedAt: startedAt)
        if let taken = core.taken {
            core.taken = nil
            inputObserver?(RecordedInput(taken))
        }
        guard let unit = next else {
            if core.closed, core.slots.isEmpty {
                core.sequenceEnded = true
                return .stop
            }
            return .wait
        }
        // Room again for an input held back by `admit`: said once, as the queue drops
        // below its bound (inputs are taken one at a time).
        if core.slots.count == configuration.maxQueuedEvents - 1 { room.notify() }
        if let chat = unit.chatID, !core.state.isResident(chat) {
            guard let staged = core.staged.removeValue(forKey: chat) else {
                core.units.prepend(unit)
                return .load(chat)
            }
            core.state.install(chat, staged)
        }
        let runs = core.begin(unit, serviceAccount: configuration.serviceAccountID, chatDetails: configuration.chatDetails != nil, logger: logger)
        return runs ? .runHandlers : .handled
    }

    /// Reads a chat's keys that no preparation brought (a timer's chat gone quiet, or a
    /// read that overlapped chats leaving memory): the one wait on the store inside the
    /// sequence. A store that cannot be read stops the engine.
    private func load(_ chat: ChatID) async {
        guard let onDemand else { return }
        do {
            let loaded = try await onDemand.chatState(of: chat)
            core.withLock { core in
                core.staged.removeValue(forKey: chat)
                if !core.state.isResident(chat) { core.state.install(chat, loaded) }
            }
        } catch {
            logger.critical("the store could not be read; the engine stops", metadata: ["chat.id": "\(chat)", "error": "\(error)"])
            fail(with: error)
        }
    }

    /// Runs the unit's handlers in turn; `false` if this task was left behind meanwhile.
    private func runHandlers(generation: Int) -> Bool {
        while let call = core.withLock({ $0.nextCall(generation: generation) }) {
            let effects = run(call)
            guard core.withLock({ $0.record(effects, of: call.member.bot.name, generation: generation) }) else { return false }
            if let effects { call.member.metrics.countAlerts(in: effects.actions) }
        }
        return core.withLock { $0.generation == generation }
    }

    /// One handler run; its effects, or `nil` when it threw or a state read or write
    /// failed.
    private func run(_ call: EngineCore.HandlerCall) -> BotEffects? {
        let bot = call.member.bot
        let context = BotContext(
            botName: bot.name, now: call.now, world: WorldView(call.world), state: call.state, logger: logger,
            metadata: call.metadata, actionExpiry: bot.actionExpiry, isRecovered: call.call.isRecovered, chatState: readChatNow
        )
        let started = ContinuousClock.now
        defer { call.member.metrics.handlerDuration.recordSeconds(started.duration(to: .now).timeInterval) }
        do {
            switch call.call {
            case .event(let event, _): try bot.handle(event, in: context)
            case .timer(let timer): try bot.timerFired(timer, in: context)
            case .answer(let answer): try bot.answerArrived(answer, in: context)
            }
            if let failure = context.recordedFailure { throw failure }
            return context.recorded
        } catch {
            call.member.metrics.failedByError.increment()
            context.logger.error("handler failed; its effects for this event are dropped", metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: - The watchdog

    /// Leaves behind a handler that runs past ``EngineConfiguration/handlerTimeout``:
    /// its effects are dropped, it is reported with its bot and event, and a new task
    /// takes the sequence on from the next handler. Nothing waits on it longer than
    /// its budget (and the moment the watchdog takes to notice).
    func watchHandlers() async {
        let budget = configuration.handlerTimeout
        let poll = max(budget / 8, .milliseconds(5))
        while !Task.isCancelled {
            let running = core.withLock { $0.running }
            if let running {
                let deadline = running.started.advanced(by: budget)
                if ContinuousClock.now < deadline {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    continue
                }
                leaveBehind(running, budget: budget)
            } else {
                try? await Task.sleep(for: poll)
            }
        }
    }

    private func leaveBehind(_ running: EngineCore.Running, budget: Duration) {
        let next = core.withLock { core -> (generation: Int, metrics: EngineMetrics.BotMetrics?)? in
            guard let current = core.running, current.generation == running.generation, current.started == running.started,
                current.generation == core.generation
            else { return nil }
            core.generation += 1
            core.running = nil
            core.counters.handlerFailures[running.bot, default: 0] += 1
            core.counters.handlersAbandoned += 1
            return (core.generation, core.lineup.member(named: running.bot)?.metrics)
        }
        guard let next else { return }
        next.metrics?.failedByTimeout.increment()
        var metadata = running.metadata
        metadata["bot.name"] = "\(running.bot)"
        metadata["error"] = "\(EngineError.handlerTimedOut(bot: running.bot, after: budget))"
        logger.error("a handler ran past its budget; its effects for this event are dropped and the engine goes on without it", metadata: metadata)
        startSequence(generation: next.generation)
    }
}
