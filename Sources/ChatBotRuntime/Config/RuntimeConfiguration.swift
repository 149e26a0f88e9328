import ChatBotKit
import Foundation

/// The whole runtime configuration: one YAML file (see `Config/chatbots.yaml`).
///
/// Every section has defaults except what cannot be guessed: the server, the way to
/// sign in, and the bots. Unknown keys are errors, so a misspelt option never goes
/// unnoticed.
@Configurable
public struct RuntimeConfiguration: Sendable {
    public var server: ServerSection
    public var auth: AuthSection
    /// The service account's user id in chats: its own messages never reach bots.
    public var serviceAccountID: String
    public var routes: ActionRoutes = ActionRoutes()
    public var alerts: AlertSink = AlertSink()
    /// How actions go out: at once, how fast, how long retried.
    public var delivery: DeliverySection = DeliverySection()
    public var store: StoreSection = StoreSection()
    /// How long the store keeps settled actions.
    public var retention: RetentionSection = RetentionSection()
    public var engine: EngineSection = EngineSection()
    /// The optional curator-directory and chat-details routes; off by default.
    public var directory: DirectorySection = DirectorySection()
    /// The log's level and format.
    public var logging: LoggingSection = LoggingSection()
    /// The metrics and health endpoint.
    public var monitoring: MonitoringSection = MonitoringSection()
    public var bots: [BotSection] = []
}

/// `server:` where the backend is.
@Configurable
public struct ServerSection: Sendable, Equatable, ValidatedConfiguration {
    /// `ws://` or `wss://` base of the socket.
    public var url: String
    public var path: String = "/connect/"
    public var origin: String?
    /// Base URL of the action routes; defaults to the socket URL with `http(s)://`.
    @DefaultFrom(#"url.replacingOccurrences(of: "wss://", with: "https://").replacingOccurrences(of: "ws://", with: "http://")"#)
    public var apiBaseURL: String
    public var allowInsecure: Bool = false
    public var pingIntervalSeconds: Double = 20
    public var maxFrameBytes: Int = FrameDecoder.defaultMaxFrameBytes
    /// The zone of timestamps without one (an IANA name); UTC by default.
    public var naiveTimeZone: String = "UTC"

    public func validate() throws {
        guard pingIntervalSeconds > 0, pingIntervalSeconds <= 3_600 else {
            throw ConfigurationInvalid("ping_interval_seconds", "must be more than 0 and at most 3600")
        }
        guard maxFrameBytes >= 1_024 else { throw ConfigurationInvalid("max_frame_bytes", "must be at least 1024") }
        guard TimeZone(identifier: naiveTimeZone) != nil else {
            throw ConfigurationInvalid("naive_time_zone", "\"\(naiveTimeZone)\" is not an IANA time zone")
        }
    }
}

/// `auth:` how to sign in: Keycloak, or a static token from the environment.
@Configurable
public struct AuthSection: Sendable, Equatable, ValidatedConfiguration {
    @Configurable
    public struct Keycloak: Sendable, Equatable {
        public var tokenURL: String
        public var clientID: String
        public var clientSecret: Secret
    }

    public var keycloak: Keycloak?
    /// The name of an environment variable holding a token, for development.
    public var staticTokenEnv: String?

    public func validate() throws {
        guard (keycloak == nil) != (staticTokenEnv == nil) else {
            throw ConfigurationInvalid(nil, "give exactly one of \"keycloak\" or \"static_token_env\"")
        }
    }
}

/// `store:` where the runtime keeps what must survive it: a SQLite file (`path`, the
/// default), or a PostgreSQL database that a leader and its standby share (`postgres`).
@Configurable
public struct StoreSection: Sendable, Equatable, ValidatedConfiguration {
    /// The SQLite file, unless the store is a PostgreSQL database.
    public var path: String = StoreSection.defaultPath
    /// The PostgreSQL database, when the store is one; `path` is then unused.
    public var postgres: PostgresSection?

    /// Where a SQLite store is by default.
    public static let defaultPath = "./chatbots.sqlite"

    public func validate() throws {
        // (A path written out as the default beside postgres reads as no path.)
        guard path == Self.defaultPath || postgres == nil else {
            throw ConfigurationInvalid("postgres", "give either path (a SQLite file) or postgres (a database), not both")
        }
    }

    /// Where the store is, for logs and messages: the file, or the database's URL.
    public var location: String {
        postgres.map { "\($0.url) (schema \($0.schema))" } ?? path
    }
}

/// `engine:` limits and the curator roster.
@Configurable
public struct EngineSection: Sendable, Equatable, ValidatedConfiguration {
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

    public func validate() throws {
        guard handlerTimeoutSeconds > 0, handlerTimeoutSeconds <= 3_600 else {
            throw ConfigurationInvalid("handler_timeout_seconds", "must be more than 0 and at most 3600")
        }
        guard maxCommitBatch >= 1 else { throw ConfigurationInvalid("max_commit_batch", "must be at least 1") }
        guard maxQueuedEvents >= 1 else { throw ConfigurationInvalid("max_queued_events", "must be at least 1") }
        guard stateInMemoryMB >= 0, stateInMemoryMB <= 1 << 20 else {
            throw ConfigurationInvalid("state_in_memory_mb", "must be from 0 to 1048576 (MiB)")
        }
    }
}

/// One entry of `bots:`: a bot type and its own options.
@Configurable
public struct BotSection: Sendable {
    /// How long a bot's actions stay worth sending (`expires_after`): a duration longer
    /// than 0s, or `never`.
    public enum Expiry: Sendable, Equatable, Decodable {
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

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self), text == "never" {
                self = .never
                return
            }
            let duration = try container.decode(ConfigDuration.self)
            guard duration.seconds > 0 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be longer than 0s, or \"never\"")
            }
            self = .after(duration)
        }
    }

    /// The registered type name: `auto_assign`, `after_hours`, `sla_alerts`, or your own.
    public var type: String
    /// The bot's name (keys its state); the type by default.
    @DefaultFrom("type") public var name: String
    /// Overrides the bot's own expiry of its actions.
    public var expiresAfter: Expiry = .botDefault
    /// The bot's own options, handed to its factory.
    public var options: JSONValue = .object([:])
    /// The line of each key path in the file (`bots[1].options.hours`), when read from
    /// one, so an error in the options can name its line.
    @NotConfigured public var lines: [String: Int] = [:]
}
