import ChatBotKit
import ChatBotTesting
import Foundation
import PostgresNIO
import Testing

@testable import ChatBotRuntime

/// The lease and its fence, on a real server: the database issues terms and judges
/// expiry; a term that lost the lease writes nothing.
@Suite("The leader's lease, on a real server", .enabled(if: TestPostgres.isEnabled), .timeLimit(.minutes(2)))
struct LeaderLeaseTests {
    /// Lets the lease of `site`'s schema run out now, as if its holder had stopped
    /// renewing a ttl ago.
    static func expireLease(of store: PostgresStore) async throws {
        try await store.client.query("UPDATE \(unescaped: store.schema).leader_lease SET expires_at = clock_timestamp()").drain()
    }

    @Test(arguments: [StoreKind.postgres, .pgbouncer]) func oneHolderAtATimeWithTermsTheDatabaseIssues(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try #require(try await site.open() as? PostgresStore)
            let first = LeaderLease(holder: "a", timeToLive: .seconds(30))
            let second = LeaderLease(holder: "b", timeToLive: .seconds(30))
            #expect(try await store.acquire(first) == 1)
            #expect(try await store.acquire(second) == nil, "held")
            #expect(try await store.acquire(first) == nil, "not taken twice, even by its holder")
            #expect(try await store.renew(first, term: 1))
            #expect(try await store.leaseState().holder == "a")

            try await Self.expireLease(of: store)
            #expect(try await store.renew(first, term: 1) == false, "a lease that ran out is not renewed: its holder must step down")
            #expect(try await store.acquire(second) == 2)
            #expect(try await store.renew(first, term: 1) == false)

            try await store.release(second, term: 2)
            #expect(try await store.acquire(first) == 3, "given up: taken at once, under a new term")
            let state = try await store.leaseState()
            #expect(state.holder == "a" && state.term == 3)
            #expect(try #require(state.expiresIn) > 25)
        }
    }

    /// The runtime acts on a renewal for nine tenths of the lease, counted from when the
    /// renewal began: the database's clock, which judges expiry, may run a little fast.
    @Test func aLeaderActsForLessThanItsLeaseFromWhenItAsked() async throws {
        try await StoreSite.with(.postgres) { site in
            let store = try #require(try await site.open() as? PostgresStore)
            let turns = Leadership(store: store, lease: LeaderLease(holder: "a", timeToLive: .seconds(30)), logger: quietLogger)
            let keeper = Task { await turns.run() }
            defer { keeper.cancel() }
            #expect(await turns.waitUntilLeading() == 1)
            let snapshot = turns.snapshot
            let acted = try #require(snapshot.deadline) - (try #require(snapshot.lastContact))
            #expect(acted == .seconds(27))
            #expect(try await store.leaseState().expiresIn.map { $0 > 27 } == true, "the database's lease outlasts it")
            await turns.retire()
            #expect(try await store.leaseState().holder == nil, "retired: given up")
        }
    }

    @Test(arguments: [StoreKind.postgres, .pgbouncer]) func aTermThatLostTheLeaseCommitsAndSettlesNothing(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try #require(try await site.open() as? PostgresStore)
            let old = LeaderLease(holder: "old", timeToLive: .seconds(30))
            let new = LeaderLease(holder: "new", timeToLive: .seconds(30))
            let oldTerm = try #require(try await store.acquire(old))
            let fencedOld = store.fenced(by: .init(lease: old, term: oldTerm))
            var commit = Commit()
            commit.chats = [ChatRecord(id: "1")]
            commit.actions = [
                OutboxEntry(idempotencyKey: "k1", bot: "b", action: .sendMessage(chatID: "1", text: "hi"), createdAt: Date(), nextAttemptAt: Date())
            ]
            try await fencedOld.commit([commit])
            let id = try #require(try await store.pendingActions(after: 0, limit: 10).first?.id)

            try await Self.expireLease(of: store)
            let newTerm = try #require(try await store.acquire(new))
            var late = Commit()
            late.chats = [ChatRecord(id: "2")]
            await #expect(throws: PostgresStoreError.fencedOut(term: oldTerm)) { try await fencedOld.commit([late]) }
            await #expect(throws: PostgresStoreError.fencedOut(term: oldTerm)) { try await fencedOld.settle(id, as: .delivered) }
            #expect(try await store.load().chats.map(\.id) == ["1"], "the old term's late commit left nothing")
            #expect(try await store.pendingActions(after: 0, limit: 10).map(\.id) == [id], "nor settled anything")

            let fencedNew = store.fenced(by: .init(lease: new, term: newTerm))
            try await fencedNew.settle(id, as: .delivered)
            try await fencedNew.commit([late])
            #expect(Set(try await store.load().chats.map(\.id)) == ["1", "2"])
        }
    }

    /// A leader's transaction that cannot finish (here the table it writes is locked;
    /// in life, a connection the server closed that PostgresNIO never answers) fails
    /// after three leases' time (at least 30 s, not in this test), instead of holding
    /// the engine for ever.
    @Test func aLeadersTransactionIsBounded() async throws {
        try await StoreSite.with(.postgres) { site in
            let store = try #require(try await site.open() as? PostgresStore)
            let lease = LeaderLease(holder: "slow", timeToLive: .seconds(2))
            let fenced = store.fenced(by: .init(lease: lease, term: try #require(try await store.acquire(lease))), transactionLimitFloor: .zero)
            var commit = Commit()
            commit.chats = [ChatRecord(id: "1")]
            try await store.client.withConnection { blocker in
                try await blocker.query("BEGIN", logger: quietLogger).drain()
                try await blocker.query("LOCK TABLE \(unescaped: store.schema).chat IN ACCESS EXCLUSIVE MODE", logger: quietLogger).drain()
                let started = ContinuousClock.now
                await #expect(throws: PostgresStoreError.timedOut(location: store.location, limit: .seconds(6))) { try await fenced.commit([commit]) }
                let waited = ContinuousClock.now - started
                #expect(waited >= .seconds(6) && waited < .seconds(60), "bounded by three leases; waited \(waited)")
                try await blocker.query("ROLLBACK", logger: quietLogger).drain()
            }
        }
    }
}
