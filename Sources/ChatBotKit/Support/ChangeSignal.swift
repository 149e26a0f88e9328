import Synchronization

/// A wake-up that is never lost: a waiter takes a token, checks for work, then waits
/// for a change since that token; a change that came in between wakes it at once.
///
/// ```swift
/// let token = signal.token
/// if let work = queue.next() { handle(work) } else { await signal.wait(since: token) }
/// ```
public final class ChangeSignal: Sendable {
    private struct State {
        var count = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
        /// Waits cancelled before they could register: they must not register.
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// The current token.
    public var token: Int {
        state.withLock { $0.count }
    }

    /// Records a change and wakes every waiter.
    public func notify() {
        let waiters = state.withLock { state in
            state.count += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a change came after `token`, or when the task is cancelled.
    public func wait(since token: Int) async {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        defer { state.withLock { _ = $0.cancelled.remove(id) } }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    // Cancellation may come before the wait registers: then it must not
                    // register, or nobody would ever resume it.
                    if state.count != token || state.cancelled.contains(id) { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}
