import Synchronization

/// The tasks draining lanes: one per lane that has work, each running its handlers
/// inline.
///
/// They are unstructured tasks, kept here, for two reasons: the handler watchdog must
/// be able to cancel the one task running a handler past its timeout (a task-group
/// child cannot be cancelled alone), and a task group with thousands of lanes at work
/// spent a measurable share of the CPU unlinking each finished child from its list.
final class LaneDrains: Sendable {
    /// One drain task, as its handlers and the watchdog see it.
    final class Drain: Sendable {
        private struct Flags {
            var timedOut = false
            var stopped = false
        }

        private let flags = Mutex(Flags())
        private let canceller = TaskCanceller()

        fileprivate func attach(_ task: Task<Void, Never>) {
            canceller.attach { task.cancel() }
        }

        /// A handler in this drain passed its timeout: cancels the task (sticky: the
        /// drain hands its lane to a new task once its current work is done).
        func timeOut() {
            flags.withLock { $0.timedOut = true }
            canceller.cancel()
        }

        var hasTimedOut: Bool {
            flags.withLock { $0.timedOut }
        }

        /// The engine stops without finishing its work: cancels the task, and no more
        /// handlers start in this drain.
        fileprivate func stop() {
            flags.withLock { $0.stopped = true }
            canceller.cancel()
        }

        var isStopped: Bool {
            flags.withLock { $0.stopped }
        }
    }

    private struct State {
        var running: [ObjectIdentifier: Drain] = [:]
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Starts a drain task running `body`.
    func start(_ body: @escaping @Sendable (Drain) async -> Void) {
        let drain = Drain()
        let id = ObjectIdentifier(drain)
        // Registered before it starts: a drain that ends at once must find itself here.
        state.withLock { $0.running[id] = drain }
        drain.attach(Task {
            await body(drain)
            self.ended(id)
        })
    }

    private func ended(_ id: ObjectIdentifier) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running.removeValue(forKey: id)
            guard state.running.isEmpty else { return [] }
            defer { state.emptyWaiters = [] }
            return state.emptyWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Stops every drain (the engine stops without finishing its work): their tasks are
    /// cancelled and start no more handlers.
    func stopAll() {
        state.withLock { Array($0.running.values) }.forEach { $0.stop() }
    }

    /// Returns once no drain task is running.
    func waitUntilNone() async {
        await withCheckedContinuation { continuation in
            let none = state.withLock { state -> Bool in
                if state.running.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if none { continuation.resume() }
        }
    }
}
