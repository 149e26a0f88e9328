import Foundation
import HeapModule
import Synchronization

/// The pending timers, in memory: the engine's authority while it runs. (Package
/// access, for its benchmark.)
///
/// A heap orders them by due time; cancelling or rescheduling only bumps the timer's
/// generation, and stale heap entries are skipped when they surface, so both are cheap
/// with many timers pending. Stale entries would otherwise pile up until they come due
/// (an SLA timer rescheduled on every message leaves one per message): once they
/// outnumber the pending timers, the heap is rebuilt from the pending ones.
package final class TimerTable: Sendable {
    package struct Pending: Sendable {
        package let request: TimerRequest
        package let generation: Int64
    }

    private struct HeapEntry: Comparable {
        let fireAt: Date
        let key: TimerKey
        let generation: Int64

        /// By due time, then by when they were scheduled: timers due at one moment fire
        /// in a fixed order, the same live and replayed.
        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.fireAt, lhs.generation) < (rhs.fireAt, rhs.generation)
        }

        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.fireAt == rhs.fireAt && lhs.key == rhs.key && lhs.generation == rhs.generation
        }
    }

    private struct State {
        var pending: [TimerKey: Pending] = [:]
        var heap = Heap<HeapEntry>()
        var nextGeneration: Int64 = 1

        /// The heap again from the pending timers alone, without stale entries.
        mutating func rebuildHeap() {
            heap = Heap(
                pending.map { key, pending in
                    HeapEntry(fireAt: pending.request.fireAt, key: key, generation: pending.generation)
                })
        }
    }

    /// Stale heap entries always tolerated: a small table is never rebuilt.
    package static let staleAllowance = 1_024

    private let state: Mutex<State>
    /// Wakes the timer loop when a timer is scheduled or cancelled.
    let changes = ChangeSignal()

    package init(_ stored: [StoredTimer] = []) {
        // In bulk, without a wake-up per timer: a store may hold a hundred thousand.
        var initial = State()
        initial.pending.reserveCapacity(stored.count)
        for timer in stored {
            // A key given twice keeps its last timer.
            initial.pending[TimerKey(bot: timer.bot, name: timer.request.name)] = Pending(
                request: timer.request, generation: initial.nextGeneration
            )
            initial.nextGeneration += 1
        }
        initial.rebuildHeap()
        state = Mutex(initial)
    }

    /// Schedules or replaces a timer; returns its generation. The timer loop is woken
    /// only when this timer comes due before the one it sleeps until: most timers are
    /// minutes away, and a wake-up per schedule cost more than the schedule.
    @discardableResult
    package func schedule(_ key: TimerKey, _ request: TimerRequest) -> Int64 {
        let (generation, earliest) = state.withLock { state in
            let generation = state.nextGeneration
            state.nextGeneration += 1
            let earliest = state.heap.min.map { request.fireAt < $0.fireAt } ?? true
            state.pending[key] = Pending(request: request, generation: generation)
            state.heap.insert(HeapEntry(fireAt: request.fireAt, key: key, generation: generation))
            if state.heap.count > 2 * state.pending.count + Self.staleAllowance {
                state.rebuildHeap()
            }
            return (generation, earliest)
        }
        if earliest { changes.notify() }
        return generation
    }

    /// Cancels the pending timer of `key`; `false` if there was none. (The timer loop
    /// is not woken: at worst it wakes at the cancelled time and finds nothing due.)
    @discardableResult
    package func cancel(_ key: TimerKey) -> Bool {
        state.withLock { $0.pending.removeValue(forKey: key) } != nil
    }

    /// Cancels every pending timer of `chats` (forgotten chats): their rows go with the
    /// chats', so nothing else is written.
    func cancelAll(of chats: Set<ChatID>) {
        guard !chats.isEmpty else { return }
        state.withLock { state in
            state.pending = state.pending.filter { entry in entry.value.request.chatID.map { !chats.contains($0) } ?? true }
        }
    }

    /// The pending timer of `key`, if any.
    func request(of key: TimerKey) -> TimerRequest? {
        state.withLock { $0.pending[key]?.request }
    }

    /// Whether a timer of this key and generation is still the pending one.
    func generation(of key: TimerKey) -> Int64? {
        state.withLock { $0.pending[key]?.generation }
    }

    package var count: Int {
        state.withLock { $0.pending.count }
    }

    /// Entries in the heap, stale ones included: for tests of its bound.
    package var heapCount: Int {
        state.withLock { $0.heap.count }
    }

    /// The pending timers, for inspection and tests.
    var all: [TimerKey: TimerRequest] {
        state.withLock { $0.pending.mapValues(\.request) }
    }

    /// Takes every timer due at `now` out of the table, in due order, handing each to
    /// `fire` while still holding the table's lock: a timer is never out of the table
    /// without being handed on, so whoever waits for the engine to go idle sees it.
    package func takeDue(at now: Date, _ fire: (TimerKey, Pending) -> Void) {
        state.withLock { state in
            while let top = state.heap.min, top.fireAt <= now {
                state.heap.removeMin()
                guard let current = state.pending[top.key], current.generation == top.generation else { continue }
                state.pending.removeValue(forKey: top.key)
                fire(top.key, current)
            }
        }
    }

    /// When the next pending timer is due.
    package func nextDue() -> Date? {
        state.withLock { state in
            while let top = state.heap.min {
                if let current = state.pending[top.key], current.generation == top.generation {
                    return top.fireAt
                }
                state.heap.removeMin()
            }
            return nil
        }
    }
}
