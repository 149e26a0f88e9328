import ChatBotKit
import Foundation

/// `store.postgres:` a PostgreSQL database instead of the SQLite file, for runtimes
/// that share one store (a leader and its standby).
///
/// ```yaml
/// store:
///   postgres:
///     url: postgres://chatbots@db.internal:5432/chatbots   # no password here
///     password_env: CHATBOTS_POSTGRES_PASSWORD             # the variable that holds it
///     schema: chatbots              # the tables live in this schema, made if missing
///     tls: prefer                   # disable, prefer or require
///     connect_timeout: 10s
///     max_connections: 8
///     lease_ttl: 10s                # a standby takes over this long after the leader is lost
/// ```
///
/// Runtimes on one database take turns: one leads (reads the socket, decides,
/// delivers), the others stand by, and the leader's lease decides which (see
/// ``LeaderLease``).
public struct PostgresSection: Decodable, Sendable, Equatable {
    /// How the connection is encrypted.
    public enum TLSMode: String, Decodable, Sendable, CaseIterable {
        /// Never: a database on loopback or a private network.
        case disable
        /// When the server offers it.
        case prefer
        /// Always; a server without TLS is refused.
        case require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var database: String
    /// The environment variable that holds the password (never the file).
    public var passwordEnv: String
    public var schema: String
    public var tls: TLSMode
    public var connectTimeout: ConfigDuration
    public var maxConnections: Int
    /// How long the leader's lease lasts unrenewed: the longest a desk goes without a
    /// leader when the leader dies, before loading the store.
    public var leaseTTL: ConfigDuration

    public init(
        host: String, port: Int = 5432, username: String, database: String, passwordEnv: String = "CHATBOTS_POSTGRES_PASSWORD",
        schema: String = "chatbots", tls: TLSMode = .prefer, connectTimeout: ConfigDuration = 10, maxConnections: Int = 8,
        leaseTTL: ConfigDuration = 10
    ) {
        self.leaseTTL = leaseTTL
        self.host = host
        self.port = port
        self.username = username
        self.database = database
        self.passwordEnv = passwordEnv
        self.schema = schema
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.maxConnections = maxConnections
    }

    /// The database as `postgres://user@host:port/database`: never with a password.
    public var url: String {
        "postgres://\(username)@\(host):\(port)/\(database)"
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, schema, tls
        case passwordEnv = "password_env"
        case connectTimeout = "connect_timeout"
        case maxConnections = "max_connections"
        case leaseTTL = "lease_ttl"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .url)
        let parsed: (host: String, port: Int, username: String, database: String)
        do {
            parsed = try Self.parse(url: text)
        } catch let problem as URLProblem {
            throw DecodingError.dataCorruptedError(forKey: .url, in: container, debugDescription: problem.message)
        }
        self.init(host: parsed.host, port: parsed.port, username: parsed.username, database: parsed.database)
        passwordEnv = try container.decodeIfPresent(String.self, forKey: .passwordEnv) ?? passwordEnv
        schema = try container.decodeIfPresent(String.self, forKey: .schema) ?? schema
        tls = try container.decodeIfPresent(TLSMode.self, forKey: .tls) ?? tls
        connectTimeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .connectTimeout) ?? connectTimeout
        maxConnections = try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? maxConnections
        leaseTTL = try container.decodeIfPresent(ConfigDuration.self, forKey: .leaseTTL) ?? leaseTTL
        guard Self.isPlainIdentifier(schema) else {
            throw DecodingError.dataCorruptedError(
                forKey: .schema, in: container,
                debugDescription: "must be lower-case letters, digits and _, starting with a letter or _ (got \"\(schema)\")"
            )
        }
        guard connectTimeout.seconds > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .connectTimeout, in: container, debugDescription: "must be more than 0")
        }
        guard leaseTTL.seconds >= 1, leaseTTL.seconds <= 3_600 else {
            throw DecodingError.dataCorruptedError(forKey: .leaseTTL, in: container, debugDescription: "must be from 1s to 1h")
        }
        guard maxConnections >= 2 else {
            // One for the engine's commits, one for delivery's settling and the reads beside them.
            throw DecodingError.dataCorruptedError(forKey: .maxConnections, in: container, debugDescription: "must be at least 2")
        }
    }

    struct URLProblem: Error {
        var message: String
    }

    /// Reads `postgres://user@host[:port]/database`; a password in it is refused, so
    /// that it never sits in a config file (nor in the logs that quote one).
    public static func parse(url text: String) throws -> (host: String, port: Int, username: String, database: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw URLProblem(message: "expected postgres://user@host:port/database (got \"\(text)\")")
        }
        guard components.password == nil else {
            throw URLProblem(message: "must not hold a password: put it in the environment variable named by password_env")
        }
        guard let host = components.host, !host.isEmpty else {
            throw URLProblem(message: "names no host: expected postgres://user@host:port/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw URLProblem(message: "names no user: expected postgres://user@host:port/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw URLProblem(message: "names no database: expected postgres://user@host:port/database")
        }
        guard components.query == nil else {
            throw URLProblem(message: "takes no query parameters: set tls and the rest as keys beside url")
        }
        return (host, components.port ?? 5432, user.removingPercentEncoding ?? user, database)
    }

    /// A schema name we put in SQL as it is: lower-case letters, digits and `_`.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 63 else { return false }
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz_")
        return letters.contains(first) && name.unicodeScalars.allSatisfy { letters.contains($0) || ("0"..."9").contains($0) }
    }
}
