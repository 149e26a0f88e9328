import ChatBotKit
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A bare WebSocket server (SwiftNIO's own upgrader, nothing of ours) that accepts any
/// socket, answers pings, and records the close code each client sends: 1006 when a
/// connection ends without a close frame.
///
/// The emulator cannot show this: Hummingbird handles the client's close frame itself
/// and never hands its code to the route.
final class CloseRecordingServer: Sendable {
    private let channel: any Channel
    private let codes = Mutex<[UInt16]>([])
    private let changes = ChangeSignal()

    /// The port it listens on, on loopback.
    let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Runs a server on a free loopback port for the duration of `body`.
    static func withRunning<T: Sendable>(_ body: (CloseRecordingServer) async throws -> T) async throws -> T {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FrameHandler(recorder: recorder))
                        }
                    }
                )
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                )
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = CloseRecordingServer(channel: channel, port: channel.localAddress?.port ?? 0)
        recorder.server.withLock { $0 = server }
        do {
            let result = try await body(server)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// The close codes received so far, in order.
    var closeCodes: [UInt16] {
        codes.withLock { $0 }
    }

    /// Returns once some connection has closed, with a close frame or without.
    func waitForClose() async {
        while !Task.isCancelled {
            let token = changes.token
            if !closeCodes.isEmpty { return }
            await changes.wait(since: token)
        }
    }

    fileprivate func record(_ code: UInt16) {
        codes.withLock { $0.append(code) }
        changes.notify()
    }

    /// Lets handlers, made before the server object exists, reach it.
    private final class Recorder: Sendable {
        let server = Mutex<CloseRecordingServer?>(nil)

        func record(_ code: UInt16) {
            server.withLock { $0 }?.record(code)
        }
    }

    private final class FrameHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame

        let recorder: Recorder
        private var sawClose = false

        init(recorder: Recorder) {
            self.recorder = recorder
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .ping:
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
            case .connectionClose:
                var payload = frame.unmaskedData
                sawClose = true
                // A close frame without a body means 1005, "no status received".
                recorder.record(payload.readInteger(as: UInt16.self) ?? 1005)
                let answer = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in channel.close(promise: nil) }
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !sawClose {
                // 1006: "abnormal closure", the connection ended without a close frame.
                recorder.record(1006)
            }
            context.fireChannelInactive()
        }
    }
}
