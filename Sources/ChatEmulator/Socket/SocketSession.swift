import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// One accepted WebSocket: sends what the hub queues for it, drains what the client
/// sends, and closes it with 4001 when its token expires.
struct SocketSession {
    let hub: ConnectionHub
    let channel: any Channel
    /// The socket's id in the hub, and the commands the hub queues for it.
    let id: Int
    let commands: AsyncStream<ConnectionHub.Command>
    let tokenExpiry: ContinuousClock.Instant
    let logger: Logger

    /// The close code for a token that is invalid or has expired, as the backend's
    /// Channels consumer sends it.
    static let tokenCloseCode: UInt16 = 4001

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        defer { hub.unregister(id) }
        logger.debug("socket opened", metadata: ["emulator.socket": "\(id)"])
        // The session lasts while both directions do; the expiry child only queues a
        // close, which the delivery child then sends in order.
        enum Child { case delivery, reading, expiry }
        await withTaskGroup(of: Child.self) { group in
            group.addTask { [commands] in
                await Self.deliver(commands, to: outbound, channel: channel)
                return .delivery
            }
            group.addTask {
                // Frames from the client mean nothing to the backend; read them so
                // that pings are answered and a close is seen.
                do {
                    for try await _ in inbound {}
                } catch {
                    logger.debug("socket read ended", metadata: ["error": "\(error)"])
                }
                return .reading
            }
            group.addTask { [hub, id] in
                if (try? await Task.sleep(until: tokenExpiry, clock: .continuous)) != nil {
                    hub.send(.close(code: Self.tokenCloseCode, reason: "token expired"), to: id)
                }
                return .expiry
            }
            while let finished = await group.next(), finished == .expiry {}
            group.cancelAll()
        }
        logger.debug("socket closed", metadata: ["emulator.socket": "\(id)"])
    }

    private static func deliver(_ commands: AsyncStream<ConnectionHub.Command>, to outbound: WebSocketOutboundWriter, channel: any Channel) async {
        for await command in commands {
            switch command {
            case .text(let frame):
                do {
                    try await outbound.write(.text(frame))
                } catch {
                    return
                }
            case .close(let code, let reason):
                try? await outbound.close(.init(codeNumber: Int(code)), reason: reason)
                return
            case .drop:
                try? await channel.close()
                return
            }
        }
    }
}
