import ChatBotKit
import Foundation
import Synchronization

/// Waits on a thread of its own for async work: for a synchronous requirement met by
/// an async store (``StateOnDemandStore/chatStateNow(of:)``). The work runs on Swift's
/// shared pool; the caller's thread only waits, so it must not be one of that pool's.
enum BlockingWait {
    struct TimedOut: Error, CustomStringConvertible {
        var seconds: Int64
        var description: String { "the store did not answer in \(seconds) s" }
    }

    static func result<Value: Sendable>(timeout: Duration, _ work: @escaping @Sendable () async throws -> Value) throws -> Value {
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = Task(executorPreference: globalConcurrentExecutor) {
            let result: Result<Value, any Error>
            do {
                result = .success(try await work())
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(Int(timeout.components.seconds))) == .success else {
            task.cancel()
            throw TimedOut(seconds: timeout.components.seconds)
        }
        return try outcome.withLock { $0 }?.get() ?? { throw TimedOut(seconds: timeout.components.seconds) }()
    }
}

/// Thrown by ``withDeadline(_:_:)`` when the work took longer.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var description: String { "no answer in time" }
}

/// Runs `work`, cancelling it and throwing ``DeadlineExceeded`` if it takes longer than
/// `limit`.
func withDeadline<Value: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded() }
        return value
    }
}

/// Work in a task of its own, which its caller waits for, with a limit or without, and
/// may leave behind: unlike a child task, which its group must wait for, it holds
/// nobody when it ignores cancellation (a PostgresNIO query on a connection that has
/// just closed is never answered).
final class AbandonableTask<Value: Sendable>: Sendable {
    private let finished = ChangeSignal()
    private let token: Int
    private let outcome = Mutex<Result<Value, any Error>?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init() {
        token = finished.token
    }

    /// Starts `work`.
    static func start(_ work: @escaping @Sendable () async throws -> Value) -> AbandonableTask {
        let started = AbandonableTask()
        let task = Task {
            let result: Result<Value, any Error>
            do {
                result = .success(try await work())
            } catch {
                result = .failure(error)
            }
            started.outcome.withLock { $0 = result }
            started.finished.notify()
        }
        started.task.withLock { $0 = task }
        return started
    }

    /// Returns once the work ended, or the caller is cancelled.
    func waitUntilEnded() async {
        await finished.wait(since: token)
    }

    /// The work's outcome once it ended; `nil` when `limit` came first, or the caller
    /// was cancelled.
    func result(within limit: Duration) async -> Result<Value, any Error>? {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.finished.wait(since: self.token) }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
        return outcome.withLock { $0 }
    }

    func cancel() {
        task.withLock { $0 }?.cancel()
    }
}

/// Runs `work` and waits for it at most `limit`: past that, it is cancelled and left
/// behind, and ``DeadlineExceeded`` is thrown. Unlike ``withDeadline(_:_:)``, this
/// returns on time even when the work ignores cancellation.
func withAbandonableDeadline<Value: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
    let running = AbandonableTask.start(work)
    guard let result = await running.result(within: limit) else {
        running.cancel()
        try Task.checkCancellation()
        throw DeadlineExceeded()
    }
    return try result.get()
}
