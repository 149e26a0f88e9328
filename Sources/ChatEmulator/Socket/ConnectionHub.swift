import NIOCore
import Synchronization

/// The open WebSockets, and the one way to reach them: commands on a per-socket queue.
///
/// Each socket's session drains its queue in order, so a close sent after some frames
/// goes out after them.
final class ConnectionHub: Sendable {
    /// What a socket's session is told to do.
    enum Command: Sendable, Equatable {
        /// Send one text frame.
        case text(String)
        /// Close with this code and reason.
        case close(code: UInt16, reason: String)
        /// Drop the TCP connection without a close frame.
        case drop
    }

    private struct Connection {
        let continuation: AsyncStream<Command>.Continuation
        let channel: any Channel
    }

    private struct State {
        var nextID = 1
        var connections: [Int: Connection] = [:]
        var silent = false
        /// Text frames handed to sockets by broadcasts, counted once per socket.
        var framesBroadcast = 0
    }

    private let state = Mutex(State())
    private let arrivals: AsyncStream<Void>.Continuation
    /// One element each time a socket opens; for the one consumer that waits for the
    /// first client (the scenario player).
    let connectionArrivals: AsyncStream<Void>

    init() {
        (connectionArrivals, arrivals) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Adds a socket; its session reads the returned commands until it ends.
    func register(channel: any Channel) -> (id: Int, commands: AsyncStream<Command>) {
        let (commands, continuation) = AsyncStream.makeStream(of: Command.self)
        let (id, silent) = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.connections[id] = Connection(continuation: continuation, channel: channel)
            return (id, state.silent)
        }
        if silent {
            channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
        arrivals.yield()
        return (id, commands)
    }

    /// Removes a socket whose session ended.
    func unregister(_ id: Int) {
        let connection = state.withLock { $0.connections.removeValue(forKey: id) }
        connection?.continuation.finish()
    }

    /// Sends a text frame to every socket, unless the hub is silent.
    func broadcast(_ frame: String) {
        broadcast(CollectionOfOne(frame))
    }

    /// Sends text frames to every socket, in order, unless the hub is silent.
    func broadcast(_ frames: some Collection<String>) {
        state.withLock { state in
            guard !state.silent else { return }
            for connection in state.connections.values {
                for frame in frames {
                    connection.continuation.yield(.text(frame))
                }
            }
            state.framesBroadcast += state.connections.count * frames.count
        }
    }

    /// Sends a command to one socket.
    func send(_ command: Command, to id: Int) {
        state.withLock { $0.connections[id] }?.continuation.yield(command)
    }

    /// Sends a command to every socket.
    func sendToAll(_ command: Command) {
        state.withLock { state in
            for connection in state.connections.values {
                connection.continuation.yield(command)
            }
        }
    }

    /// Silent: read nothing from the sockets (pings go unanswered) and write nothing to
    /// them, like a connection whose network went away. `false` resumes both.
    func setSilent(_ silent: Bool) {
        let channels = state.withLock { state in
            state.silent = silent
            return state.connections.values.map(\.channel)
        }
        for channel in channels {
            channel.setOption(ChannelOptions.autoRead, value: !silent).whenComplete { _ in }
            if !silent { channel.read() }
        }
    }

    var isSilent: Bool {
        state.withLock { $0.silent }
    }

    var count: Int {
        state.withLock { $0.connections.count }
    }

    /// Text frames broadcast so far, counted once per socket they went to.
    var framesBroadcast: Int {
        state.withLock { $0.framesBroadcast }
    }
}
