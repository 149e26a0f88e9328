import HummingbirdCore
import Logging
import NIOCore

/// A server's child channel whose connection ends when the server stops, whatever the
/// client is doing.
///
/// The WebSocket-upgrade channel waits for the first request's head on a future before it
/// knows whether the connection is HTTP or WebSocket, and neither task cancellation nor a
/// graceful shutdown reaches that wait: a connection that never sends a request kept the
/// server, and the emulator with it, running until the client went. An HTTP client's pool
/// can keep such a connection open for minutes (AsyncHTTPClient's shared client: ten).
///
/// - When the server is cancelled, each connection's task closes its connection.
/// - On graceful shutdown, a connection that has not sent a whole request head is closed,
///   as Hummingbird closes an idle keep-alive connection; the others end as Hummingbird
///   ends them, after the request in hand.
struct StoppableChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(FirstRequestHeadWatch(), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskCancellationHandler {
            await base.handle(value: value, logger: logger)
        } onCancel: {
            value.channel.close(promise: nil)
        }
    }
}

/// Sits in front of a new connection until its first request head has arrived (the bytes
/// up to the first blank line), closing the connection if the server quiesces before then.
private final class FirstRequestHeadWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let headEnd = Array("\r\n\r\n".utf8)
    /// How many bytes of `headEnd` the bytes so far end with.
    private var matched = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let headComplete = buffer.readableBytesView.contains { byte in
            matched = byte == Self.headEnd[matched] ? matched + 1 : (byte == Self.headEnd[0] ? 1 : 0)
            return matched == Self.headEnd.count
        }
        context.fireChannelRead(data)
        if headComplete {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
