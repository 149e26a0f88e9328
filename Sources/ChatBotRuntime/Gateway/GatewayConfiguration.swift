import HTTPTypes
import WSClient

/// How the gateway reaches the backend's WebSocket and keeps it alive.
public struct GatewayConfiguration: Sendable, Equatable {
    /// `ws://host:port` or `wss://host` of the backend.
    public var serverURL: String
    /// The socket's path; the token goes in its `token` query item.
    public var path: String
    /// The `Origin` header: Django Channels refuses sockets without an allowed one.
    public var origin: String?
    /// Frames larger than this are refused one by one (logged and counted); the
    /// connection stays up.
    public var maxFrameBytes: Int
    /// Frames larger than this end the connection (close 1009): a guard for memory.
    public var transportFrameLimit: Int
    /// Frames read and not yet handed to the engine, at most, in bytes; past it the
    /// socket is not read until there is room (see `FrameBuffer`).
    public var readBufferBytes: Int
    /// A ping goes out this often; a pong must come back before the next ping, or the
    /// socket is aborted. So a half-open connection is noticed within twice this.
    public var pingInterval: Duration
    /// Backoff between reconnects (full jitter, capped).
    public var reconnect: RetryPolicy
    /// A connection that lasted this long resets the backoff.
    public var stablePeriod: Duration
    /// Allow `ws://` (no TLS) to a host that is not loopback.
    public var allowsInsecureRemote: Bool

    public init(
        serverURL: String,
        path: String = "/connect/",
        origin: String? = nil,
        maxFrameBytes: Int = 1 << 20,
        transportFrameLimit: Int = 16 << 20,
        readBufferBytes: Int = 32 << 20,
        pingInterval: Duration = .seconds(20),
        reconnect: RetryPolicy = RetryPolicy(base: .milliseconds(500), cap: .seconds(30)),
        stablePeriod: Duration = .seconds(60),
        allowsInsecureRemote: Bool = false
    ) {
        self.serverURL = serverURL
        self.path = path
        self.origin = origin
        self.maxFrameBytes = maxFrameBytes
        self.transportFrameLimit = transportFrameLimit
        self.readBufferBytes = readBufferBytes
        self.pingInterval = pingInterval
        self.reconnect = reconnect
        self.stablePeriod = stablePeriod
        self.allowsInsecureRemote = allowsInsecureRemote
    }
}

extension GatewayConfiguration {
    /// The WebSocket client's settings: the one setup the gateway connects with, and
    /// that `chatbots conformance` puts through the Autobahn cases.
    public var webSocketClientConfiguration: WebSocketClientConfiguration {
        var client = WebSocketClientConfiguration(
            maxFrameSize: transportFrameLimit,
            autoPing: .enabled(timePeriod: pingInterval),
            // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection
            // (1007); the gateway reconnects. The Autobahn cases 6.x and 7.5.1 check it.
            validateUTF8: true
        )
        // After a close frame, wait no longer than one ping interval for the other side.
        client.closeTimeout = pingInterval
        if let origin {
            client.additionalHeaders[.origin] = origin
        }
        return client
    }
}
