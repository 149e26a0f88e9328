import Synchronization

/// A queue one task fills and one task reads, where the reader waits with a deadline.
final class Mailbox<Element: Sendable>: Sendable {
    private struct Waiter {
        let ticket: Int
        let continuation: CheckedContinuation<Element?, Never>
    }

    private struct State {
        var items: [Element] = []
        var head = 0
        var waiter: Waiter?
        var nextTicket = 0
        var closed = false
    }

    private let state = Mutex(State())

    func put(_ item: Element) {
        let waiter = state.withLock { state -> Waiter? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.items.append(item)
            return nil
        }
        waiter?.continuation.resume(returning: item)
    }

    /// No more items; a waiting reader gets `nil`.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume(returning: nil)
    }

    /// The next item, or `nil` once closed and empty, or after `seconds` without one.
    func take(seconds: Double) async -> Element? {
        let ticket = state.withLock { state in
            state.nextTicket += 1
            return state.nextTicket
        }
        return await withTaskGroup(of: Element?.self) { group in
            group.addTask { await self.take(ticket: ticket) }
            group.addTask {
                // Only a deadline that really passed gives up, and only on this
                // reader's own wait, never on a later one.
                if (try? await Task.sleep(for: .seconds(seconds))) != nil {
                    self.giveUp(ticket: ticket)
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func take(ticket: Int) async -> Element? {
        await withCheckedContinuation { continuation in
            let ready: Element?? = state.withLock { state in
                if state.head < state.items.count {
                    defer { state.head += 1 }
                    return .some(state.items[state.head])
                }
                if state.closed { return .some(nil) }
                state.waiter = Waiter(ticket: ticket, continuation: continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func giveUp(ticket: Int) {
        let waiter = state.withLock { state -> Waiter? in
            guard state.waiter?.ticket == ticket else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume(returning: nil)
    }
}
