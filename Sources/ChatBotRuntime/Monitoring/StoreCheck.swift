import Synchronization

/// A question `/ready` and `/metrics` put to the store (can it take its write lock, how
/// many actions wait), asked once at a time and its answer kept for a few seconds:
/// however often probes and scrapes come (the endpoint may face a network), at most one
/// check waits on the store, never a queue of them holding its connections. A caller
/// waits at most `budget`, then gets the `late` answer; a check that takes longer still
/// records its answer for the next caller.
final class StoreCheck<Answer: Sendable>: Sendable {
    private struct State {
        var last: (at: ContinuousClock.Instant, answer: Answer)?
        var inFlight: Task<Answer, Never>?
    }

    private let check: @Sendable () async -> Answer
    private let late: @Sendable (Duration) -> Answer
    private let budget: Duration
    private let freshFor: Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - late: The answer for a caller whose check did not end within `budget`.
    ///   - check: Asks the store.
    init(
        budget: Duration = .seconds(2), freshFor: Duration = .seconds(5), late: @escaping @Sendable (Duration) -> Answer,
        check: @escaping @Sendable () async -> Answer
    ) {
        self.check = check
        self.late = late
        self.budget = budget
        self.freshFor = freshFor
    }

    /// The answer: a fresh one kept, the one in flight, or a new check's; `late` after
    /// `budget`.
    func answer() async -> Answer {
        let now = ContinuousClock.now
        let next: Next<Answer> = state.withLock { state in
            if let last = state.last, last.at.duration(to: now) < freshFor { return .known(last.answer) }
            if let running = state.inFlight { return .wait(running) }
            let running = Task { [check] in
                let answer = await check()
                self.record(answer)
                return answer
            }
            state.inFlight = running
            return .wait(running)
        }
        switch next {
        case .known(let answer): return answer
        case .wait(let running): return await answer(of: running)
        }
    }

    private func record(_ answer: Answer) {
        state.withLock { state in
            state.last = (ContinuousClock.now, answer)
            state.inFlight = nil
        }
    }

    /// The check's answer, or after `budget` the late one.
    private func answer(of running: Task<Answer, Never>) async -> Answer {
        let answered = Mutex(false)
        return await withCheckedContinuation { continuation in
            let answer: @Sendable (Answer) -> Void = { value in
                let first = answered.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            let deadline = Task { [budget, late] in
                try? await Task.sleep(for: budget)
                answer(late(budget))
            }
            Task {
                answer(await running.value)
                deadline.cancel()  // answered in time: no timer left sleeping per waiter
            }
        }
    }
}

/// What a caller of a ``StoreCheck`` does: take a fresh answer, or wait on a check.
private enum Next<Answer: Sendable> {
    case known(Answer)
    case wait(Task<Answer, Never>)
}

/// Whether the store can take its write lock now: `nil` when it could, else why not.
typealias StoreWritableProbe = StoreCheck<String?>

extension StoreCheck where Answer == String? {
    /// - Parameter check: Takes and lets go of the write lock, or throws why not.
    convenience init(budget: Duration = .seconds(2), freshFor: Duration = .seconds(5), check: @escaping @Sendable () async throws -> Void) {
        let ask: @Sendable () async -> String? = {
            do {
                try await check()
                return nil
            } catch {
                return "\(error)"
            }
        }
        self.init(budget: budget, freshFor: freshFor, late: { "the write lock was not free within \($0)" }, check: ask)
    }

    /// `nil` when the lock was taken, else why not.
    func problem() async -> String? {
        await answer()
    }
}

/// What the outbox holds, or why it could not be counted.
typealias OutboxCountCheck = StoreCheck<Result<OutboxCounts, OutboxCountProblem>>

/// Why the outbox could not be counted, in words for `/ready`.
struct OutboxCountProblem: Error, CustomStringConvertible {
    let description: String
}

extension StoreCheck where Answer == Result<OutboxCounts, OutboxCountProblem> {
    /// - Parameter count: Counts the outbox.
    convenience init(budget: Duration = .seconds(2), freshFor: Duration = .seconds(1), count: @escaping @Sendable () async throws -> OutboxCounts) {
        let ask: @Sendable () async -> Answer = {
            do {
                return .success(try await count())
            } catch {
                return .failure(OutboxCountProblem(description: "the outbox could not be counted: \(error)"))
            }
        }
        let late: @Sendable (Duration) -> Answer = { .failure(OutboxCountProblem(description: "the outbox was not counted within \($0)")) }
        self.init(budget: budget, freshFor: freshFor, late: late, check: ask)
    }
}
