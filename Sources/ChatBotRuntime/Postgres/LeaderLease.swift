import Foundation
import Logging
import PostgresNIO

/// The one lease that decides which runtime leads, kept in the store's database.
///
/// The database does all the judging: it issues each new term (one more than the last,
/// never reused), and compares expiry with its own clock (`clock_timestamp()`), so the
/// clocks of the runtimes never matter. No session state is used (no advisory lock held
/// by a connection, which a pooler or a dropped connection would silently let go of):
/// the lease is a row, and every statement stands alone.
///
/// A term is what fences: each commit and each settling of an outbox row checks, in
/// its own transaction and under the lease row's lock, that its term still holds the
/// lease (``PostgresStore/Fence``). A leader that paused past its lease finds its term
/// gone and writes nothing; and a new leader cannot take the lease while a commit of
/// the old term is still open, so the store it loads holds every commit that made it.
public struct LeaderLease: Sendable {
    /// Who holds it: unique to each runtime process (host, pid, a random part).
    public let holder: String
    /// How long a lease lasts from its last renewal.
    public let timeToLive: Duration

    public init(holder: String = LeaderLease.newHolder(), timeToLive: Duration) {
        self.holder = holder
        self.timeToLive = timeToLive
    }

    /// A name no other runtime has: `host:pid:random`.
    public static func newHolder() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }

    var milliseconds: Int64 {
        timeToLive.components.seconds * 1_000 + timeToLive.components.attoseconds / 1_000_000_000_000_000
    }
}

/// The lease as the database has it, for `/ready`, `chatbots state` and logs.
public struct LeaseState: Sendable, Equatable, Codable {
    public var holder: String?
    public var term: Int64
    /// Seconds until it runs out (negative: it ran out that long ago); `nil` if never taken.
    public var expiresIn: Double?
    /// Seconds since it was last renewed.
    public var renewedAgo: Double?
}

extension PostgresStore {
    /// Takes the lease if it is free (never taken, or run out) and returns the new term;
    /// `nil` while another runtime holds it.
    func acquire(_ lease: LeaderLease) async throws -> Int64? {
        try await returnedTerm(
            """
            UPDATE \(unescaped: schema).leader_lease
            SET term = term + 1, holder = \(lease.holder), taken_at = clock_timestamp(), renewed_at = clock_timestamp(),
                expires_at = clock_timestamp() + \(lease.milliseconds) * interval '1 millisecond'
            WHERE name = 'runtime' AND (expires_at IS NULL OR expires_at <= clock_timestamp())
            RETURNING term
            """)
    }

    /// Extends the lease of `term` from now; `false` if that term no longer holds it
    /// (it ran out, or another runtime took it): leadership is lost.
    func renew(_ lease: LeaderLease, term: Int64) async throws -> Bool {
        try await returnedTerm(
            """
            UPDATE \(unescaped: schema).leader_lease
            SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + \(lease.milliseconds) * interval '1 millisecond'
            WHERE name = 'runtime' AND holder = \(lease.holder) AND term = \(term) AND expires_at > clock_timestamp()
            RETURNING term
            """) != nil
    }

    /// Gives the lease up at once (a graceful stop), so a standby need not wait for it
    /// to run out. The term stays spent.
    func release(_ lease: LeaderLease, term: Int64) async throws {
        _ = try await returnedTerm(
            """
            UPDATE \(unescaped: schema).leader_lease SET holder = NULL, expires_at = clock_timestamp()
            WHERE name = 'runtime' AND holder = \(lease.holder) AND term = \(term)
            RETURNING term
            """)
    }

    /// The lease as it stands.
    public func leaseState() async throws -> LeaseState {
        try await client.withConnection { connection in
            var state = LeaseState(holder: nil, term: 0)
            for try await (holder, term, expiresIn, renewedAgo) in try await connection.statement(
                """
                SELECT holder, term, EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8,
                       EXTRACT(EPOCH FROM clock_timestamp() - renewed_at)::float8
                FROM \(unescaped: schema).leader_lease WHERE name = 'runtime'
                """, logger: logger
            ).decode((String?, Int64, Double?, Double?).self) {
                state = LeaseState(holder: holder, term: term, expiresIn: expiresIn, renewedAgo: renewedAgo)
            }
            return state
        }
    }

    private func returnedTerm(_ query: PostgresQuery) async throws -> Int64? {
        try await client.withConnection { connection in
            var term: Int64?
            for try await value in try await connection.statement(query, logger: logger).decode(Int64.self) { term = value }
            return term
        }
    }
}
