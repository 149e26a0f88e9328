import NIOCore
import NIOPosix

/// A TCP connection that sends only what a test writes, byte for byte: for clients
/// that misbehave on purpose (connect and stay silent, send half a request).
final class BareConnection: Sendable {
    private let channel: any Channel
    private let received: Mailbox<ByteBuffer>

    init(port: Int) async throws {
        let received = Mailbox<ByteBuffer>()
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteCollector(mailbox: received))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        self.received = received
    }

    deinit {
        channel.close(promise: nil)
    }

    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// The next bytes the server sends, or `nil` when it closed the connection or sent
    /// nothing within `seconds`.
    func nextBuffer(seconds: Double = 30) async -> ByteBuffer? {
        await received.take(seconds: seconds)
    }

    /// ``nextBuffer(seconds:)`` as text.
    func nextBytes(seconds: Double = 30) async -> String? {
        await nextBuffer(seconds: seconds).map { String(buffer: $0) }
    }

    func close() async {
        try? await channel.close()
    }
}

/// Puts every buffer a channel reads into a mailbox, and closes the mailbox when the
/// connection ends.
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let mailbox: Mailbox<ByteBuffer>

    init(mailbox: Mailbox<ByteBuffer>) {
        self.mailbox = mailbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        mailbox.put(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        mailbox.close()
    }
}
