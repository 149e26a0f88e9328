import Synchronization

/// A readers-writer gate per bot. Handlers run under the shared side, many chats at
/// once; a handler whose state reads were overtaken by another chat's commit runs again
/// under the exclusive side, where nobody else can overtake it.
///
/// A waiting exclusive holder goes before new shared ones, so it is never starved.
final class BotGate: Sendable {
    private struct State {
        var sharedHolders = 0
        var exclusiveHeld = false
        var waitingExclusive: [CheckedContinuation<Void, Never>] = []
        var waitingShared: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func acquireShared() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                guard !state.exclusiveHeld, state.waitingExclusive.isEmpty else {
                    state.waitingShared.append(continuation)
                    return false
                }
                state.sharedHolders += 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    func releaseShared() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.sharedHolders -= 1
            guard state.sharedHolders == 0, !state.waitingExclusive.isEmpty else { return nil }
            state.exclusiveHeld = true
            return state.waitingExclusive.removeFirst()
        }
        next?.resume()
    }

    func acquireExclusive() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                guard state.sharedHolders == 0, !state.exclusiveHeld else {
                    state.waitingExclusive.append(continuation)
                    return false
                }
                state.exclusiveHeld = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    func releaseExclusive() {
        let (exclusive, shared) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            if !state.waitingExclusive.isEmpty {
                return (state.waitingExclusive.removeFirst(), [])
            }
            state.exclusiveHeld = false
            state.sharedHolders += state.waitingShared.count
            defer { state.waitingShared = [] }
            return (nil, state.waitingShared)
        }
        exclusive?.resume()
        shared.forEach { $0.resume() }
    }
}
