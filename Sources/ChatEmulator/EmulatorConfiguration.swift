import Foundation

/// Everything the emulator can be told at start.
///
/// The defaults give a backend that a plain WebSocket client can use at once: realm
/// `support`, client `chatbots` with secret `chatbots-secret`, the service account's
/// user id `1000`, tokens that live five minutes, no generated traffic.
public struct EmulatorConfiguration: Sendable {
    /// The address to listen on. Loopback by default.
    public var host: String
    /// The port; `0` picks a free one (read it back from ``Emulator/waitUntilListening()``).
    public var port: Int
    /// The Keycloak realm of the token endpoint, `/realms/{realm}/...`.
    public var realm: String
    /// The client id of the service account.
    public var clientID: String
    /// The client secret of the service account.
    public var clientSecret: String
    /// The user id the service account has in chats: the `sender` of messages it sends.
    public var serviceAccountID: String
    /// How long an issued token is valid.
    public var tokenLifetime: Duration
    /// Refuse a bad or expired token at the handshake with HTTP 403, instead of
    /// accepting the socket and closing it with 4001 (Django Channels does either).
    public var refusesBadTokensAtHandshake: Bool
    /// Refuse sockets without an `Origin` header (Channels' origin validator), with 403.
    public var requiresOrigin: Bool
    /// Generated traffic, in events per second; `0` for none.
    public var trafficRate: Double
    /// Seed of the traffic generator and the quirks, so a run can be repeated.
    public var seed: UInt64
    /// The size of the generated world.
    public var world: WorldSize
    /// Send frames in the variant shapes of PROTOCOL.md Part 2 (numeric ids, `files`
    /// as an array, dates with zones and fractions) and, now and then, a malformed frame
    /// or an event type clients do not know.
    public var quirks: Bool
    /// A scenario file to play once the first socket connects (JSON Lines, see
    /// ``Scenario``).
    public var scenarioPath: String?
    /// Faults in force from the start.
    public var faults: FaultCommand
    /// The backend's clock: the `created_at` of the messages its traffic writes. The
    /// system's by default; a soak run gives the runtime's virtual one.
    public var now: @Sendable () -> Date = { Date() }
    /// How much history the emulator keeps at most: closed chats (the oldest closed go
    /// first), applied idempotency keys, and entries of its record. `nil` keeps it all,
    /// as tests that read the record need; a run of months needs a bound.
    public var historyKept: Int?

    /// How many clients and curators the generated world has, and the topics of chats.
    public struct WorldSize: Sendable {
        public var clients: Int
        public var curators: Int
        public var topics: [String]

        public init(clients: Int = 40, curators: Int = 6, topics: [String] = ["billing", "delivery", "returns"]) {
            self.clients = clients
            self.curators = curators
            self.topics = topics
        }
    }

    /// The sections of a runtime configuration that reach this emulator on `port`: the
    /// socket, the token endpoint with the client and secret, the service account, and
    /// the alert webhook. A configuration for a benchmark or a soak appends the rest.
    public func runtimeYAML(port: Int) -> String {
        """
        server:
          url: ws://\(host):\(port)
        auth:
          keycloak:
            token_url: http://\(host):\(port)/realms/\(realm)/protocol/openid-connect/token
            client_id: \(clientID)
            client_secret: \(clientSecret)
        service_account_id: \(serviceAccountID)
        alerts:
          webhook_url: http://\(host):\(port)/hooks/alerts

        """
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        realm: String = "support",
        clientID: String = "chatbots",
        clientSecret: String = "chatbots-secret",
        serviceAccountID: String = "1000",
        tokenLifetime: Duration = .seconds(300),
        refusesBadTokensAtHandshake: Bool = false,
        requiresOrigin: Bool = false,
        trafficRate: Double = 0,
        seed: UInt64 = 1,
        world: WorldSize = WorldSize(),
        quirks: Bool = false,
        scenarioPath: String? = nil,
        faults: FaultCommand = FaultCommand()
    ) {
        self.host = host
        self.port = port
        self.realm = realm
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.serviceAccountID = serviceAccountID
        self.tokenLifetime = tokenLifetime
        self.refusesBadTokensAtHandshake = refusesBadTokensAtHandshake
        self.requiresOrigin = requiresOrigin
        self.trafficRate = trafficRate
        self.seed = seed
        self.world = world
        self.quirks = quirks
        self.scenarioPath = scenarioPath
        self.faults = faults
    }
}
