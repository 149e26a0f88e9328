import Synchronization

/// Cancels one task, whether asked before or after the task is handed over: the
/// watchdog may time a handler out before the task running it is attached here.
final class TaskCanceller: Sendable {
    private struct State {
        var cancelTask: (@Sendable () -> Void)?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Hands over the task's cancel; cancels at once if that was asked already.
    func attach(_ cancelTask: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            state.cancelTask = cancelTask
            return state.cancelled
        }
        if now { cancelTask() }
    }

    /// Cancels the task, now or as soon as it is attached.
    func cancel() {
        let cancelTask = state.withLock { state -> (@Sendable () -> Void)? in
            state.cancelled = true
            return state.cancelTask
        }
        cancelTask?()
    }
}
