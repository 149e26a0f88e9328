import ChatBotKit
import Foundation

/// The whole runtime configuration: one YAML file (see `Config/chatbots.yaml`).
///
/// Every section has defaults except what cannot be guessed: the server, the way to
/// sign in, and the bots. Unknown keys are errors, so a misspelt option never goes
/// unnoticed.
public struct RuntimeConfiguration: Decodable, Sendable {
    public var server: ServerSection
    public var auth: AuthSection
    /// The service account's user id in chats: its own messages never reach bots.
    public var serviceAccountID: String
    public var routes: ActionRoutes
    public var alerts: AlertSink
    /// How actions go out: at once, how fast, how long retried.
    public var delivery: DeliverySection
    public var store: StoreSection
    /// How long the store keeps settled actions.
    public var retention: RetentionSection
    public var engine: EngineSection
    /// The optional curator-directory and chat-details routes; off by default.
    public var directory: DirectorySection
    /// The log's level and format.
    public var logging: LoggingSection
    /// The metrics and health endpoint.
    public var monitoring: MonitoringSection
    public var bots: [BotSection]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case server, auth, routes, alerts, delivery, store, retention, engine, directory, logging, monitoring, bots
        case serviceAccountID = "service_account_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        server = try container.decode(ServerSection.self, forKey: .server)
        auth = try container.decode(AuthSection.self, forKey: .auth)
        serviceAccountID = try container.decode(LooseString.self, forKey: .serviceAccountID).value
        routes = try container.decodeIfPresent(ActionRoutes.self, forKey: .routes) ?? ActionRoutes()
        alerts = try container.decodeIfPresent(AlertSink.self, forKey: .alerts) ?? AlertSink()
        delivery = try container.decodeIfPresent(DeliverySection.self, forKey: .delivery) ?? DeliverySection()
        store = try container.decodeIfPresent(StoreSection.self, forKey: .store) ?? StoreSection()
        retention = try container.decodeIfPresent(RetentionSection.self, forKey: .retention) ?? RetentionSection()
        engine = try container.decodeIfPresent(EngineSection.self, forKey: .engine) ?? EngineSection()
        directory = try container.decodeIfPresent(DirectorySection.self, forKey: .directory) ?? DirectorySection()
        logging = try container.decodeIfPresent(LoggingSection.self, forKey: .logging) ?? LoggingSection()
        monitoring = try container.decodeIfPresent(MonitoringSection.self, forKey: .monitoring) ?? MonitoringSection()
        bots = try container.decodeIfPresent([BotSection].self, forKey: .bots) ?? []
    }
}

/// `server:` where the backend is.
public struct ServerSection: Decodable, Sendable, Equatable {
    /// `ws://` or `wss://` base of the socket.
    public var url: String
    public var path: String
    public var origin: String?
    /// Base URL of the action routes; defaults to the socket URL with `http(s)://`.
    public var apiBaseURL: String
    public var allowInsecure: Bool
    public var pingIntervalSeconds: Double
    public var maxFrameBytes: Int
    /// The zone of timestamps without one (an IANA name); UTC by default.
    public var naiveTimeZone: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, path, origin
        case apiBaseURL = "api_base_url"
        case allowInsecure = "allow_insecure"
        case pingIntervalSeconds = "ping_interval_seconds"
        case maxFrameBytes = "max_frame_bytes"
        case naiveTimeZone = "naive_time_zone"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        path = try container.decodeIfPresent(String.self, forKey: .path) ?? "/connect/"
        origin = try container.decodeIfPresent(String.self, forKey: .origin)
        apiBaseURL =
            try container.decodeIfPresent(String.self, forKey: .apiBaseURL)
            ?? url.replacingOccurrences(of: "wss://", with: "https://").replacingOccurrences(of: "ws://", with: "http://")
        allowInsecure = try container.decodeIfPresent(Bool.self, forKey: .allowInsecure) ?? false
        pingIntervalSeconds = try container.decodeIfPresent(Double.self, forKey: .pingIntervalSeconds) ?? 20
        maxFrameBytes = try container.decodeIfPresent(Int.self, forKey: .maxFrameBytes) ?? FrameDecoder.defaultMaxFrameBytes
        naiveTimeZone = try container.decodeIfPresent(String.self, forKey: .naiveTimeZone) ?? "UTC"
        guard pingIntervalSeconds > 0, pingIntervalSeconds <= 3_600 else {
            throw DecodingError.dataCorruptedError(
                forKey: .pingIntervalSeconds, in: container, debugDescription: "must be more than 0 and at most 3600")
        }
        guard maxFrameBytes >= 1_024 else {
            throw DecodingError.dataCorruptedError(forKey: .maxFrameBytes, in: container, debugDescription: "must be at least 1024")
        }
        guard TimeZone(identifier: naiveTimeZone) != nil else {
            throw DecodingError.dataCorruptedError(
                forKey: .naiveTimeZone, in: container, debugDescription: "\"\(naiveTimeZone)\" is not an IANA time zone")
        }
    }
}

/// `auth:` how to sign in: Keycloak, or a static token from the environment.
public struct AuthSection: Decodable, Sendable, Equatable {
    public struct Keycloak: Decodable, Sendable, Equatable {
        public var tokenURL: String
        public var clientID: String
        public var clientSecret: Secret

        enum CodingKeys: String, CodingKey, CaseIterable {
            case tokenURL = "token_url"
            case clientID = "client_id"
            case clientSecret = "client_secret"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            tokenURL = try container.decode(String.self, forKey: .tokenURL)
            clientID = try container.decode(String.self, forKey: .clientID)
            clientSecret = try container.decode(Secret.self, forKey: .clientSecret)
        }
    }

    public var keycloak: Keycloak?
    /// The name of an environment variable holding a token, for development.
    public var staticTokenEnv: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case keycloak
        case staticTokenEnv = "static_token_env"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keycloak = try container.decodeIfPresent(Keycloak.self, forKey: .keycloak)
        staticTokenEnv = try container.decodeIfPresent(String.self, forKey: .staticTokenEnv)
        guard (keycloak == nil) != (staticTokenEnv == nil) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "give exactly one of \"keycloak\" or \"static_token_env\""))
        }
    }
}

/// `store:` where the runtime keeps what must survive it: a SQLite file (`path`, the
/// default), or a PostgreSQL database that a leader and its standby share (`postgres`).
public struct StoreSection: Decodable, Sendable, Equatable {
    public var path: String
    /// The PostgreSQL database, when the store is one; `path` is then unused.
    public var postgres: PostgresSection?

    public init(path: String = "./chatbots.sqlite", postgres: PostgresSection? = nil) {
        self.path = path
        self.postgres = postgres
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, postgres
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let path = try container.decodeIfPresent(String.self, forKey: .path)
        postgres = try container.decodeIfPresent(PostgresSection.self, forKey: .postgres)
        guard path == nil || postgres == nil else {
            throw DecodingError.dataCorruptedError(
                forKey: .postgres, in: container, debugDescription: "give either path (a SQLite file) or postgres (a database), not both"
            )
        }
        self.path = path ?? "./chatbots.sqlite"
    }

    /// Where the store is, for logs and messages: the file, or the database's URL.
    public var location: String {
        postgres.map { "\($0.url) (schema \($0.schema))" } ?? path
    }
}

/// `engine:` limits and the curator roster.
public struct EngineSection: Decodable, Sendable, Equatable {
    public var handlerTimeoutSeconds: Double = 10
    public var maxCommitBatch: Int = 500
    /// Events read off the socket and not yet handled, at most; past it the gateway
    /// stops reading until there is room.
    public var maxQueuedEvents: Int = 10_000
    public var closedStatuses: [String] = ["closed", "resolved", "archived"]
    public var curators: [String] = []
    public var messagesKeptPerChat: Int = 100
    /// Bot state held in memory, in MiB; the rest is read from the store when a bot
    /// asks for it.
    public var stateInMemoryMB: Int = 32

    enum CodingKeys: String, CodingKey, CaseIterable {
        case curators
        case handlerTimeoutSeconds = "handler_timeout_seconds"
        case maxCommitBatch = "max_commit_batch"
        case maxQueuedEvents = "max_queued_events"
        case closedStatuses = "closed_statuses"
        case messagesKeptPerChat = "messages_kept_per_chat"
        case stateInMemoryMB = "state_in_memory_mb"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        handlerTimeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .handlerTimeoutSeconds) ?? handlerTimeoutSeconds
        maxCommitBatch = try container.decodeIfPresent(Int.self, forKey: .maxCommitBatch) ?? maxCommitBatch
        maxQueuedEvents = try container.decodeIfPresent(Int.self, forKey: .maxQueuedEvents) ?? maxQueuedEvents
        closedStatuses = try container.decodeIfPresent([String].self, forKey: .closedStatuses) ?? closedStatuses
        curators = try container.decodeIfPresent([LooseString].self, forKey: .curators)?.map(\.value) ?? curators
        messagesKeptPerChat = try container.decodeIfPresent(Int.self, forKey: .messagesKeptPerChat) ?? messagesKeptPerChat
        stateInMemoryMB = try container.decodeIfPresent(Int.self, forKey: .stateInMemoryMB) ?? stateInMemoryMB
        guard handlerTimeoutSeconds > 0, handlerTimeoutSeconds <= 3_600 else {
            throw DecodingError.dataCorruptedError(
                forKey: .handlerTimeoutSeconds, in: container, debugDescription: "must be more than 0 and at most 3600")
        }
        guard maxCommitBatch >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .maxCommitBatch, in: container, debugDescription: "must be at least 1")
        }
        guard maxQueuedEvents >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .maxQueuedEvents, in: container, debugDescription: "must be at least 1")
        }
        guard stateInMemoryMB >= 0, stateInMemoryMB <= 1 << 20 else {
            throw DecodingError.dataCorruptedError(forKey: .stateInMemoryMB, in: container, debugDescription: "must be from 0 to 1048576 (MiB)")
        }
    }
}

/// One entry of `bots:`: a bot type and its own options.
public struct BotSection: Decodable, Sendable {
    /// How long a bot's actions stay worth sending (`expires_after`).
    public enum Expiry: Sendable, Equatable {
        /// What the bot itself says (``Bot/actionExpiry``): the key is absent.
        case botDefault
        /// `expires_after: never`.
        case never
        /// `expires_after: 15m`.
        case after(ConfigDuration)

        /// The expiry this gives a bot whose own is `own`.
        func applied(to own: Duration?) -> Duration? {
            switch self {
            case .botDefault: own
            case .never: nil
            case .after(let duration): .seconds(duration.seconds)
            }
        }
    }

    /// The registered type name: `auto_assign`, `after_hours`, `sla_alerts`, or your own.
    public var type: String
    /// The bot's name (keys its state); the type by default.
    public var name: String
    /// Overrides the bot's own expiry of its actions.
    public var expiresAfter: Expiry = .botDefault
    /// The bot's own options, handed to its factory.
    public var options: JSONValue
    /// The line of each key path in the file (`bots[1].options.hours`), when read from
    /// one, so an error in the options can name its line.
    public var lines: [String: Int] = [:]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, name, options
        case expiresAfter = "expires_after"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? type
        if let text = try? container.decodeIfPresent(String.self, forKey: .expiresAfter), text == "never" {
            expiresAfter = .never
        } else if let duration = try container.decodeIfPresent(ConfigDuration.self, forKey: .expiresAfter) {
            guard duration.seconds > 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .expiresAfter, in: container, debugDescription: "must be longer than 0s, or \"never\""
                )
            }
            expiresAfter = .after(duration)
        }
        options = try container.decodeIfPresent(JSONValue.self, forKey: .options) ?? .object([:])
    }
}

/// A string that may be written as a number in YAML (`service_account_id: 1000`).
struct LooseString: Decodable {
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            throw DecodingError.typeMismatch(
                String.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a whole number"))
        }
    }
}
