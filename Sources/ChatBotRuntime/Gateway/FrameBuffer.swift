import ChatBotKit
import Foundation
import NIOCore
import Synchronization
import WSClient

/// The frames read off the socket and not yet handed to the engine, bounded in bytes.
///
/// The socket's reader only puts frames here, so it keeps reading, and with it seeing
/// the backend's pongs, while the bots are behind: a reader that waited for the bots
/// would miss a pong stuck behind buffered frames and take slow bots for a dead
/// connection. Only past `capacity` bytes does the reader wait, and TCP holds the rest
/// back. The buffer outlives a connection, so frames that arrived before a disconnect
/// still reach the bots.
final class FrameBuffer: Sendable {
    struct Entry: Sendable {
        let message: WebSocketMessage
        let receivedAt: Date
    }

    private struct State {
        var entries: [Entry] = []
        var head = 0
        var bytes = 0
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())
    private let changes = ChangeSignal()

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Adds a frame; waits while the buffer holds `capacity` bytes or more. An empty
    /// buffer takes any frame, and a cancelled reader's last frame is kept, not lost.
    func put(_ message: WebSocketMessage, receivedAt: Date) async {
        let entry = Entry(message: message, receivedAt: receivedAt)
        while true {
            let token = changes.token
            let added = state.withLock { state -> Bool in
                guard state.bytes < capacity || state.head == state.entries.count || Task.isCancelled else { return false }
                state.entries.append(entry)
                state.bytes += Self.size(of: message)
                return true
            }
            if added {
                changes.notify()
                return
            }
            await changes.wait(since: token)
        }
    }

    /// The oldest frame; waits while there is none. `nil` once closed (or the caller
    /// is cancelled) and empty: what was buffered is always handed out first.
    func take() async -> Entry? {
        while true {
            let token = changes.token
            let next = state.withLock { state -> Entry? in
                guard state.head < state.entries.count else { return nil }
                let entry = state.entries[state.head]
                state.head += 1
                state.bytes -= Self.size(of: entry.message)
                if state.head > 1_024, state.head * 2 > state.entries.count {
                    state.entries.removeFirst(state.head)
                    state.head = 0
                }
                return entry
            }
            if let next {
                changes.notify()
                return next
            }
            if state.withLock({ $0.closed }) || Task.isCancelled { return nil }
            await changes.wait(since: token)
        }
    }

    /// No more frames will come; `take` returns `nil` once the buffer is empty.
    func close() {
        state.withLock { $0.closed = true }
        changes.notify()
    }

    /// Bytes held now.
    var bufferedBytes: Int {
        state.withLock { $0.bytes }
    }

    private static func size(of message: WebSocketMessage) -> Int {
        switch message {
        case .text(let text): text.utf8.count
        case .binary(let buffer): buffer.readableBytes
        }
    }
}
