import Foundation
import Synchronization

/// The pending timers, in memory: the engine's authority while it runs.
///
/// A heap orders them by due time; cancelling or rescheduling only bumps the timer's
/// generation, and stale heap entries are skipped when they surface, so both are cheap
/// with many timers pending.
final class TimerTable: Sendable {
    struct Pending: Sendable {
        let request: TimerRequest
        let generation: Int64
    }

    private struct HeapEntry: Comparable {
        let fireAt: Date
        let key: TimerKey
        let generation: Int64

        static func < (lhs: Self, rhs: Self) -> Bool {
            lhs.fireAt < rhs.fireAt
        }

        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.fireAt == rhs.fireAt && lhs.key == rhs.key && lhs.generation == rhs.generation
        }
    }

    private struct State {
        var pending: [TimerKey: Pending] = [:]
        var heap = BinaryHeap<HeapEntry>()
        var nextGeneration: Int64 = 1
        var changeCount = 0
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextWaiterID = 0
        /// Waits cancelled before they could register: they must not register.
        var cancelledWaiters: Set<Int> = []
    }

    private let state = Mutex(State())

    init(_ stored: [StoredTimer] = []) {
        for timer in stored {
            schedule(TimerKey(bot: timer.bot, name: timer.request.name), timer.request)
        }
    }

    /// Schedules or replaces a timer; returns its generation.
    @discardableResult
    func schedule(_ key: TimerKey, _ request: TimerRequest) -> Int64 {
        let (generation, waiter) = state.withLock { state in
            let generation = state.nextGeneration
            state.nextGeneration += 1
            state.pending[key] = Pending(request: request, generation: generation)
            state.heap.insert(HeapEntry(fireAt: request.fireAt, key: key, generation: generation))
            return (generation, Self.noteChange(&state))
        }
        waiter?.resume()
        return generation
    }

    /// Cancels a timer, if pending.
    func cancel(_ key: TimerKey) {
        let waiter = state.withLock { state in
            state.pending.removeValue(forKey: key) == nil ? nil : Self.noteChange(&state)
        }
        waiter?.resume()
    }

    /// Whether a timer of this key and generation is still the pending one.
    func generation(of key: TimerKey) -> Int64? {
        state.withLock { $0.pending[key]?.generation }
    }

    var count: Int {
        state.withLock { $0.pending.count }
    }

    /// The pending timers, for inspection and tests.
    var all: [TimerKey: TimerRequest] {
        state.withLock { $0.pending.mapValues(\.request) }
    }

    /// Takes every timer due at `now` out of the table, in due order, handing each to
    /// `fire` while still holding the table's lock: a timer is never out of the table
    /// without being handed on, so whoever waits for the engine to go idle sees it.
    func takeDue(at now: Date, _ fire: (TimerKey, Pending) -> Void) {
        state.withLock { state in
            while let top = state.heap.peek, top.fireAt <= now {
                state.heap.removeMin()
                guard let current = state.pending[top.key], current.generation == top.generation else { continue }
                state.pending.removeValue(forKey: top.key)
                fire(top.key, current)
            }
        }
    }

    /// When the next pending timer is due.
    func nextDue() -> Date? {
        state.withLock { state in
            while let top = state.heap.peek {
                if let current = state.pending[top.key], current.generation == top.generation {
                    return top.fireAt
                }
                state.heap.removeMin()
            }
            return nil
        }
    }

    /// A token for ``waitForChange(since:)``: changes after it wake the waiter.
    var changeToken: Int {
        state.withLock { $0.changeCount }
    }

    /// Returns when a timer was scheduled or cancelled since `token`, or when cancelled.
    func waitForChange(since token: Int) async {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        defer { state.withLock { _ = $0.cancelledWaiters.remove(id) } }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    // Cancellation may come before the wait registers: then it must
                    // not register, or nobody would ever resume it.
                    if state.changeCount != token || state.cancelledWaiters.contains(id) { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiter, waiter.id == id else {
                    state.cancelledWaiters.insert(id)
                    return nil
                }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }
    }

    private static func noteChange(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        state.changeCount += 1
        defer { state.waiter = nil }
        return state.waiter?.continuation
    }
}

/// A min-heap.
struct BinaryHeap<Element: Comparable>: Sendable where Element: Sendable {
    private var items: [Element] = []

    var peek: Element? { items.first }
    var count: Int { items.count }

    mutating func insert(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func removeMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let min = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return min
    }
}
