import Synchronization

/// The handlers of one event running in one task: what each finished with, and how
/// the watchdog cancels the task when one of them passes its timeout.
final class HandlerRun: Sendable {
    private struct State {
        var finished: [(bot: String, effects: BotEffects?)] = []
        var cancelTask: (@Sendable () -> Void)?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// A handler ended: its effects, or `nil` when it threw or timed out.
    func record(_ bot: String, _ effects: BotEffects?) {
        state.withLock { $0.finished.append((bot, effects)) }
    }

    /// The handlers that ended, in order.
    var finished: [(bot: String, effects: BotEffects?)] {
        state.withLock { $0.finished }
    }

    /// Gives the run its task's cancel; cancels at once if the watchdog already asked.
    func attach(_ cancelTask: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            state.cancelTask = cancelTask
            return state.cancelled
        }
        if now { cancelTask() }
    }

    /// Cancels the run's task (a handler timed out).
    func cancel() {
        let cancelTask = state.withLock { state -> (@Sendable () -> Void)? in
            state.cancelled = true
            return state.cancelTask
        }
        cancelTask?()
    }
}
