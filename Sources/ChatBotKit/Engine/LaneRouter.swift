import Foundation
import Synchronization

/// Keeps one queue per chat (a lane), so a chat's work runs in arrival order while
/// different chats run at the same time.
///
/// A lane with work is announced once on ``ready``; whoever takes it drains it with
/// ``next(in:)`` until that returns `nil`, which also marks the lane idle.
final class LaneRouter: Sendable {
    /// One unit of work for a lane.
    enum Work: Sendable {
        case event(ChatEvent, receivedAt: Date)
        case timer(TimerKey, TimerTable.Pending, isLate: Bool)
    }

    /// Which lane work goes to: its chat, or, for presence and chatless work, its user
    /// or one shared lane.
    struct Lane: Hashable, Sendable {
        let name: String

        static func of(_ event: ChatEvent) -> Lane {
            if let chat = event.chatID { return Lane(name: "chat:\(chat)") }
            if case .userStatus(let status) = event { return Lane(name: "user:\(status.userID)") }
            return Lane(name: "shared")
        }

        static func of(timer request: TimerRequest) -> Lane {
            request.chatID.map { Lane(name: "chat:\($0)") } ?? Lane(name: "shared")
        }
    }

    private struct Queue {
        var items: [Work] = []
        var head = 0
        var isRunning = false

        var isEmpty: Bool { head == items.count }

        mutating func popFirst() -> Work? {
            guard head < items.count else { return nil }
            defer {
                head += 1
                if head > 64, head * 2 > items.count {
                    items.removeFirst(head)
                    head = 0
                }
            }
            return items[head]
        }
    }

    private struct State {
        var queues: [Lane: Queue] = [:]
        var outstanding = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// Notified whenever a unit of work finishes: room for more (see `Engine.admit`).
    let room = ChangeSignal()
    private let readyContinuation: AsyncStream<Lane>.Continuation
    /// Lanes that have work and nobody draining them.
    let ready: AsyncStream<Lane>

    init() {
        (ready, readyContinuation) = AsyncStream.makeStream(of: Lane.self)
    }

    /// Adds work to its lane. Returns `false` once the router is closed.
    @discardableResult
    func enqueue(_ work: Work, in lane: Lane) -> Bool {
        let announce = state.withLock { state -> Bool? in
            guard !state.closed else { return nil }
            state.outstanding += 1
            var queue = state.queues[lane] ?? Queue()
            queue.items.append(work)
            let announce = !queue.isRunning
            queue.isRunning = true
            state.queues[lane] = queue
            return announce
        }
        guard let announce else { return false }
        if announce { readyContinuation.yield(lane) }
        return true
    }

    /// The lane's next work, or `nil` (and the lane is idle) when it has none.
    func next(in lane: Lane) -> Work? {
        state.withLock { state in
            guard var queue = state.queues[lane] else { return nil }
            if let work = queue.popFirst() {
                state.queues[lane] = queue
                return work
            }
            state.queues.removeValue(forKey: lane)
            return nil
        }
    }

    /// Marks one unit of work finished (handled and committed, or given up).
    func finished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.outstanding = max(0, state.outstanding - 1)
            guard state.outstanding == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        room.notify()
        waiters.forEach { $0.resume() }
    }

    /// Returns once all work enqueued so far is finished.
    func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                if state.outstanding == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Refuses new work and ends ``ready``: call once the router is idle.
    func close() {
        state.withLock { $0.closed = true }
        readyContinuation.finish()
    }

    /// Gives up on work not yet done, once nobody drains the lanes any more: whoever
    /// waits for idleness is released, and new work is refused.
    func abandon() {
        let waiters = state.withLock { state in
            state.closed = true
            state.queues = [:]
            state.outstanding = 0
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        readyContinuation.finish()
        room.notify()
        waiters.forEach { $0.resume() }
    }

    var outstanding: Int {
        state.withLock { $0.outstanding }
    }
}
