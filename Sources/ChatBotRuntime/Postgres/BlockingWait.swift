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

/// Whether `signal` changed since `token` within `limit`; `false` when the limit came
/// first. For waiting on work that may never end (a task stuck in a query PostgresNIO
/// never answers) without being held by it.
func waitForChange(of signal: ChangeSignal, since token: Int, atMost limit: Duration) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await signal.wait(since: token)
            return !Task.isCancelled
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return false
        }
        defer { group.cancelAll() }
        return await group.next() ?? false
    }
}

/// Runs `work` in a task of its own and waits for it at most `limit`: past that, the
/// task is cancelled and left behind, and ``DeadlineExceeded`` is thrown. Unlike
/// ``withDeadline(_:_:)``, which as a task group must wait for its child, this returns
/// on time even when the work ignores cancellation (a PostgresNIO query on a connection
/// that has just closed is never answered).
func withAbandonableDeadline<Value: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
    let finished = ChangeSignal()
    let token = finished.token
    let outcome = Mutex<Result<Value, any Error>?>(nil)
    let task = Task {
        let result: Result<Value, any Error>
        do {
            result = .success(try await work())
        } catch {
            result = .failure(error)
        }
        outcome.withLock { $0 = result }
        finished.notify()
    }
    guard await waitForChange(of: finished, since: token, atMost: limit), let result = outcome.withLock({ $0 }) else {
        task.cancel()
        try Task.checkCancellation()
        throw DeadlineExceeded()
    }
    return try result.get()
}
