import Synchronization

/// Whether the store can take its write lock now, for `/ready` and `/metrics`.
///
/// One check at a time, its answer kept for a few seconds: however often probes and
/// scrapes come (the endpoint may face a network), at most one waits on the store's
/// single writer, never ahead of a queue of them. A caller waits at most `budget`;
/// a check that takes longer still records its answer for the next caller.
final class StoreWritableProbe: Sendable {
    private struct State {
        var last: (at: ContinuousClock.Instant, problem: String?)?
        var inFlight: Task<String?, Never>?
    }

    private let check: @Sendable () async throws -> Void
    private let budget: Duration
    private let freshFor: Duration
    private let state = Mutex(State())

    /// - Parameter check: Takes and lets go of the write lock, or throws why not.
    init(budget: Duration = .seconds(2), freshFor: Duration = .seconds(5), check: @escaping @Sendable () async throws -> Void) {
        self.check = check
        self.budget = budget
        self.freshFor = freshFor
    }

    /// `nil` when the lock was taken, else why not.
    func problem() async -> String? {
        enum Next {
            case known(String?)
            case wait(Task<String?, Never>)
        }
        let now = ContinuousClock.now
        let next: Next = state.withLock { state in
            if let last = state.last, last.at.duration(to: now) < freshFor { return .known(last.problem) }
            if let running = state.inFlight { return .wait(running) }
            let running = Task { [check] in
                let problem: String?
                do {
                    try await check()
                    problem = nil
                } catch {
                    problem = "\(error)"
                }
                self.record(problem)
                return problem
            }
            state.inFlight = running
            return .wait(running)
        }
        switch next {
        case .known(let problem): return problem
        case .wait(let running): return await answer(of: running)
        }
    }

    private func record(_ problem: String?) {
        state.withLock { state in
            state.last = (ContinuousClock.now, problem)
            state.inFlight = nil
        }
    }

    /// The check's answer, or after `budget` a problem saying it did not come.
    private func answer(of running: Task<String?, Never>) async -> String? {
        let answered = Mutex(false)
        return await withCheckedContinuation { continuation in
            let answer: @Sendable (String?) -> Void = { problem in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: problem) }
            }
            let deadline = Task { [budget] in
                try? await Task.sleep(for: budget)
                answer("the write lock was not free within \(budget)")
            }
            Task {
                answer(await running.value)
                deadline.cancel()  // answered in time: no timer left sleeping per waiter
            }
        }
    }
}
