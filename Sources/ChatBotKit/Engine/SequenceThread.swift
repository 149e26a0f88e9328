import DequeModule
import Foundation
import Synchronization

/// A thread of its own for the engine's sequence, as a task executor: the sequence's
/// task runs its jobs here, not on Swift's shared pool.
///
/// Handlers are synchronous, and a handler stuck in slow work holds the thread it runs
/// on. On the shared pool (one thread per core: two on a small server) one stuck
/// handler would halve the whole process and a second would stop it, watchdog and
/// socket included. Here it holds only this thread: the watchdog, on the shared pool,
/// leaves it behind and starts the sequence again on a new one. A thread left behind
/// ends once its handler returns.
final class SequenceThread: TaskExecutor, @unchecked Sendable {
    // Safety: the jobs are handed over under `condition`'s lock; UnownedJob is a
    // reference the runtime keeps alive until the job runs.
    private let condition = NSCondition()
    private var jobs: Deque<UnownedJob> = []
    private var retired = false

    /// Starts the thread; it runs jobs until ``retire()``.
    init(name: String) {
        let thread = Thread { [self] in runJobs() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once it has run the jobs already handed to it.
    func retire() {
        condition.lock()
        retired = true
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty, !retired { condition.wait() }
            guard let job = jobs.popFirst() else {
                condition.unlock()
                return
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
