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
@Configurable
public struct PostgresSection: Sendable, Equatable, ValidatedConfiguration {
    /// How the connection is encrypted.
    public enum TLSMode: String, Decodable, Sendable, CaseIterable {
        /// Never: a database on loopback or a private network.
        case disable
        /// When the server offers it.
        case prefer
        /// Always; a server without TLS is refused.
        case require
    }

    /// The database: `postgres://user@host[:port]/database`, never with a password.
    public var url: PostgresAddress
    /// The environment variable that holds the password (never the file).
    public var passwordEnv: String = "CHATBOTS_POSTGRES_PASSWORD"
    public var schema: String = "chatbots"
    public var tls: TLSMode = .prefer
    public var connectTimeout: ConfigDuration = 10
    public var maxConnections: Int = 8
    /// How long the leader's lease lasts unrenewed: the longest a desk goes without a
    /// leader when the leader dies, before loading the store.
    public var leaseTTL: ConfigDuration = 10

    public var host: String { url.host }
    public var port: Int { url.port }
    public var username: String { url.username }
    public var database: String { url.database }

    public func validate() throws {
        guard Self.isPlainIdentifier(schema) else {
            throw ConfigurationInvalid("schema", "must be lower-case letters, digits and _, starting with a letter or _ (got \"\(schema)\")")
        }
        guard connectTimeout.seconds > 0 else { throw ConfigurationInvalid("connect_timeout", "must be more than 0") }
        guard leaseTTL.seconds >= 1, leaseTTL.seconds <= 3_600 else { throw ConfigurationInvalid("lease_ttl", "must be from 1s to 1h") }
        // One for the engine's commits, one for delivery's settling and the reads beside them.
        guard maxConnections >= 2 else { throw ConfigurationInvalid("max_connections", "must be at least 2") }
    }

    /// A schema name we put in SQL as it is: lower-case letters, digits and `_`.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 63 else { return false }
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz_")
        return letters.contains(first) && name.unicodeScalars.allSatisfy { letters.contains($0) || ("0"..."9").contains($0) }
    }
}

/// Where a PostgreSQL database is: `postgres://user@host[:port]/database`. A password in
/// it is refused, so that it never sits in a config file (nor in the logs that quote
/// one); it prints as that URL, with the port.
public struct PostgresAddress: Sendable, Hashable, Decodable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var database: String

    public init(host: String, port: Int = 5432, username: String, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.database = database
    }

    /// Reads `postgres://user@host[:port]/database` (or `postgresql://`); throws
    /// ``Problem`` saying what is wrong with it.
    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw Problem(message: "expected postgres://user@host:port/database (got \"\(text)\")")
        }
        guard components.password == nil else {
            throw Problem(message: "must not hold a password: put it in the environment variable named by password_env")
        }
        guard let host = components.host, !host.isEmpty else {
            throw Problem(message: "names no host: expected postgres://user@host:port/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw Problem(message: "names no user: expected postgres://user@host:port/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Problem(message: "names no database: expected postgres://user@host:port/database")
        }
        guard components.query == nil else {
            throw Problem(message: "takes no query parameters: set tls and the rest as keys beside url")
        }
        self.init(host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user, database: database)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch let problem as Problem {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: problem.message)
        }
    }

    /// `postgres://user@host:port/database`: never with a password.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)"
    }

    /// What is wrong with a URL given for a database.
    public struct Problem: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
