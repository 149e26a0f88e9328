import ChatBotKit
import CoreMetrics
import Foundation
import HTTPTypes
import Logging
import NIOCore
import Synchronization
import WSClient

/// Keeps one WebSocket to the backend and turns its frames into events.
///
/// Before every connection it asks for a token (fresh after any disconnect: the
/// backend checks tokens at the handshake only). It pings, and aborts a socket whose
/// pong does not come back in time; it reconnects with capped exponential backoff and
/// full jitter, resets the backoff after a stable period, and logs one line per
/// reconnect saying how long the stream was down. Frames that cannot be read are logged
/// and counted one by one; the connection stays up (but for a text frame that is not
/// UTF-8, which RFC 6455 says must fail the connection: 1007, then a reconnect).
/// Frames are read into a bounded buffer and handed on from there, so the socket, and
/// its pongs, are read even while the bots are behind (see `FrameBuffer`).
public final class Gateway: Sendable {
    /// The state of the connection, for health checks and tests.
    public enum ConnectionState: Sendable, Equatable {
        case connecting
        case connected(since: Date)
        case disconnected(since: Date)
    }

    /// Counts of what the gateway saw.
    public struct Counters: Sendable, Hashable {
        public var connections = 0
        public var disconnections = 0
        public var framesReceived = 0
        public var framesRejected = 0
        public var failedAttempts = 0
        /// When the last event was decoded, if any was.
        public var lastEventAt: Date?
        /// How long the stream was down before the latest connection; `nil` for the first.
        public var lastDownFor: TimeInterval?
    }

    private let configuration: GatewayConfiguration
    private let tokens: any TokenProvider
    private let decoder: FrameDecoder
    private let logger: Logger
    private let onEvent: @Sendable (ChatEvent, Date) async -> Void
    private let onFrame: (@Sendable (String, Date) -> Void)?
    private let random: @Sendable () -> Double
    /// The time each frame is stamped with on arrival: the events' time for the engine.
    private let now: @Sendable () -> Date
    private let state = Mutex<(connection: ConnectionState, counters: Counters)>((.connecting, Counters()))
    private let changes = ChangeSignal()
    private let metrics: GatewayMetrics
    private let buffer: FrameBuffer

    /// - Parameters:
    ///   - onFrame: Called for every text frame as received, before decoding, with its
    ///     arrival time (for `run --record`); it must return quickly.
    ///   - onEvent: Called for every decoded event, in arrival order, with its arrival
    ///     time. The next frame is read once it returns: the engine's `admit` waits
    ///     there for room, which holds a flood back at the socket.
    ///   - metricsFactory: Where frames, decoded and rejected events by type, and
    ///     reconnects are counted; swift-metrics' global factory by default.
    ///   - now: The time a frame is stamped with as it arrives (the engine's clock, so
    ///     that events and timers share one time); the socket's own timing stays real.
    public init(
        configuration: GatewayConfiguration, tokens: any TokenProvider, decoder: FrameDecoder = FrameDecoder(),
        logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        metricsFactory: any MetricsFactory = MetricsSystem.factory, now: @escaping @Sendable () -> Date = { Date() },
        onFrame: (@Sendable (String, Date) -> Void)? = nil,
        onEvent: @escaping @Sendable (ChatEvent, Date) async -> Void
    ) throws {
        do {
            try SocketURL.validate(configuration.serverURL, allowsInsecureRemote: configuration.allowsInsecureRemote)
        } catch {
            throw GatewayError.badServerURL(error.description)
        }
        self.configuration = configuration
        self.tokens = tokens
        self.decoder = FrameDecoder(maxFrameBytes: configuration.maxFrameBytes, naiveTimeZone: decoder.naiveTimeZone)
        self.logger = logger
        self.random = random
        self.now = now
        self.onEvent = onEvent
        self.onFrame = onFrame
        metrics = GatewayMetrics(factory: metricsFactory)
        buffer = FrameBuffer(capacity: configuration.readBufferBytes)
    }

    public var connectionState: ConnectionState {
        state.withLock { $0.connection }
    }

    public var statistics: Counters {
        state.withLock { $0.counters }
    }

    /// Returns once the counters and state satisfy `condition` (for tests and health).
    public func waitUntil(_ condition: (ConnectionState, Counters) -> Bool) async {
        while !Task.isCancelled {
            let token = changes.token
            let (connection, counters) = state.withLock { ($0.connection, $0.counters) }
            if condition(connection, counters) { return }
            await changes.wait(since: token)
        }
    }

    /// Connects and reconnects until cancelled; then hands the bots every frame that
    /// was already read before it returns.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.handOverBufferedFrames() }
            do {
                try await connectAndReconnect()
            } catch {
                buffer.close()
                throw error
            }
            buffer.close()
            try await group.waitForAll()
        }
    }

    /// Decodes the buffered frames in arrival order and hands the events on; the next
    /// one waits for `onEvent` to return (the engine's `admit` waits there for room).
    private func handOverBufferedFrames() async {
        while let entry = await buffer.take() {
            await receive(entry.message, receivedAt: entry.receivedAt)
        }
    }

    private func connectAndReconnect() async throws {
        var attempt = 0
        var downSince: Date?
        while !Task.isCancelled {
            let startedAt = Date()
            let outcome = await connectOnce(downSince: downSince)
            if Task.isCancelled {
                update { $0.connection = .disconnected(since: Date()) }
                logger.info("stopped reading", metadata: ["gateway.reason": "\(outcome.reason)"])
                return
            }
            let lasted = Date().timeIntervalSince(startedAt)
            update { state in
                if case .connected = state.connection { state.counters.disconnections += 1 }
                if !outcome.opened { state.counters.failedAttempts += 1 }
                state.connection = .disconnected(since: Date())
            }
            // The backend checks tokens at the handshake only: always reconnect with a
            // fresh one.
            await tokens.invalidate()
            if outcome.opened {
                downSince = Date()
            } else if downSince == nil {
                downSince = startedAt
            }
            attempt = outcome.opened && lasted >= configuration.stablePeriod.timeInterval ? 0 : attempt + 1
            let delay = configuration.reconnect.delay(afterAttempt: max(0, attempt - 1), retryAfter: nil, now: Date(), random: random())
            logger.info(
                "stream ended; reconnecting",
                metadata: [
                    "gateway.reason": "\(outcome.reason)", "gateway.retry_in_seconds": "\(String(format: "%.2f", delay))",
                ])
            try await Task.sleep(for: .milliseconds(Int64(delay * 1_000)))
        }
    }

    private struct Outcome {
        let opened: Bool
        let reason: String
    }

    private func connectOnce(downSince: Date?) async -> Outcome {
        update { $0.connection = .connecting }
        let token: String
        do {
            token = try await tokens.token()
        } catch {
            logger.warning("no token; cannot connect", metadata: ["error": "\(error)"])
            return Outcome(opened: false, reason: "no token: \(error)")
        }
        let url = SocketURL.make(serverURL: configuration.serverURL, path: configuration.path, token: token)
        let client = configuration.webSocketClientConfiguration
        var socketLogger = logger
        socketLogger.logLevel = max(logger.logLevel, .warning)
        let opened = Mutex(false)
        do {
            let close = try await WebSocketClient.connect(url: url, configuration: client, logger: socketLogger) { inbound, _, _ in
                opened.withLock { $0 = true }
                self.markConnected(downSince: downSince, url: url)
                for try await message in inbound.messages(maxSize: self.configuration.transportFrameLimit) {
                    await self.buffer.put(message, receivedAt: self.now())
                }
            }
            let reason = close.map { "closed with \($0.closeCode)\($0.reason.map { " (\($0))" } ?? "")" } ?? "connection lost without a close frame"
            return Outcome(opened: opened.withLock { $0 }, reason: reason)
        } catch {
            // A refused handshake (401/403 from Channels) surfaces only as a failed
            // upgrade: the fresh token fetched before the next attempt covers it.
            return Outcome(opened: opened.withLock { $0 }, reason: "\(error)")
        }
    }

    private func markConnected(downSince: Date?, url: String) {
        let now = Date()
        var isReconnect = false
        update { state in
            isReconnect = state.counters.connections > 0
            state.connection = .connected(since: now)
            state.counters.connections += 1
            state.counters.lastDownFor = downSince.map { now.timeIntervalSince($0) }
        }
        if isReconnect { metrics.reconnected() }
        if let downSince {
            let down = now.timeIntervalSince(downSince)
            logger.notice(
                "reconnected; the stream was down for \(String(format: "%.1f", down)) s",
                metadata: [
                    "gateway.down_seconds": "\(String(format: "%.3f", down))", "gateway.url": "\(SocketURL.redacted(url))",
                ])
        } else {
            logger.info("connected", metadata: ["gateway.url": "\(SocketURL.redacted(url))"])
        }
    }

    private func receive(_ message: WebSocketMessage, receivedAt: Date) async {
        metrics.frameReceived()
        let result: Result<ChatEvent, FrameDecodingFailure>
        switch message {
        case .text(let text):
            onFrame?(text, receivedAt)
            result = decoder.decode(text: text)
        case .binary(let buffer): result = decoder.decode(binary: Data(buffer.readableBytesView))
        }
        switch result {
        case .success(let event):
            update { state in
                state.counters.framesReceived += 1
                state.counters.lastEventAt = receivedAt
            }
            metrics.decoded(event.type)
            await onEvent(event, receivedAt)
        case .failure(let failure):
            update { state in
                state.counters.framesReceived += 1
                state.counters.framesRejected += 1
            }
            metrics.rejected(failure)
            logger.warning(
                "frame rejected: \(failure.reason)",
                metadata: [
                    "frame.failure": "\(failure.kind.rawValue)", "event.type": "\(failure.eventType ?? "-")",
                    "frame.prefix": "\(failure.framePrefix)",
                ])
        }
    }

    private func update(_ body: (inout (connection: ConnectionState, counters: Counters)) -> Void) {
        state.withLock { body(&$0) }
        changes.notify()
    }
}

/// Why the gateway cannot start.
public enum GatewayError: Error, CustomStringConvertible, Equatable {
    case badServerURL(String)

    public var description: String {
        switch self {
        case .badServerURL(let reason): "server URL: \(reason)"
        }
    }
}
