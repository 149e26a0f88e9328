import Synchronization

/// Times handlers out with one task for the whole engine, not a timer per handler.
///
/// Every handler gets the same timeout, so deadlines come in the order handlers start:
/// the watchdog keeps its watches in that order and sleeps until the oldest unfinished
/// one is due. Racing each handler against a sleeping task of its own cost two tasks
/// and a timer per handler, which was most of what a handler run cost.
final class HandlerWatchdog: Sendable {
    /// One handler run being watched.
    final class Watch: Sendable {
        let deadline: ContinuousClock.Instant
        private let onExpiry: @Sendable () -> Void
        /// `nil` while running; then whether the deadline passed first.
        private let outcome = Mutex<Bool?>(nil)

        fileprivate init(deadline: ContinuousClock.Instant, onExpiry: @escaping @Sendable () -> Void) {
            self.deadline = deadline
            self.onExpiry = onExpiry
        }

        /// Ends the watch; returns whether the handler had already timed out.
        func finish() -> Bool {
            outcome.withLock { outcome in
                if outcome == nil { outcome = false }
                return outcome ?? false
            }
        }

        fileprivate var isFinished: Bool {
            outcome.withLock { $0 != nil }
        }

        /// Times the handler out, unless it finished first.
        fileprivate func expire() {
            let expired = outcome.withLock { outcome in
                guard outcome == nil else { return false }
                outcome = true
                return true
            }
            if expired { onExpiry() }
        }
    }

    private struct State {
        var watches: [Watch] = []
        var head = 0

        /// Drops finished watches from the front.
        mutating func dropFinished() {
            while head < watches.count, watches[head].isFinished {
                head += 1
            }
            if head > 64, head * 2 > watches.count {
                watches.removeFirst(head)
                head = 0
            }
        }
    }

    let timeout: Duration
    private let state = Mutex(State())
    private let added = ChangeSignal()

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Starts watching a handler that starts now; `onExpiry` runs if it is still running
    /// when its timeout passes. Call ``Watch/finish()`` when it ends.
    func watch(onExpiry: @escaping @Sendable () -> Void) -> Watch {
        let (watch, wasIdle) = state.withLock { state in
            state.dropFinished()
            // The deadline is taken under the lock, so the queue stays in deadline order.
            let watch = Watch(deadline: .now + timeout, onExpiry: onExpiry)
            defer { state.watches.append(watch) }
            return (watch, state.head == state.watches.count)
        }
        if wasIdle { added.notify() }
        return watch
    }

    /// Expires overdue watches until cancelled.
    func run() async {
        while !Task.isCancelled {
            let token = added.token
            let oldest = state.withLock { state -> Watch? in
                state.dropFinished()
                return state.head < state.watches.count ? state.watches[state.head] : nil
            }
            guard let oldest else {
                await added.wait(since: token)
                continue
            }
            if ContinuousClock.now >= oldest.deadline {
                oldest.expire()
            } else {
                // Watches added meanwhile are due later: nothing can be due sooner.
                try? await Task.sleep(until: oldest.deadline, clock: .continuous)
            }
        }
    }
}
