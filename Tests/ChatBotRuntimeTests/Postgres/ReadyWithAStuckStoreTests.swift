import ChatBotKit
import ChatBotTesting
import ChatEmulator
import Foundation
import PostgresNIO
import Testing

@testable import ChatBotRuntime

/// `/ready` (and `/metrics`) answer within their budget when the store does not, with at
/// most one count of the outbox waiting on it, which the server ends: a
/// count of the outbox that waited on a lock, or on a connection the driver never
/// answers, held the answer for the whole of a probe's HTTP timeout (seen as a takeover
/// that "took 30 s" in `ProcessFailoverTests`, the new leader long since leading).
@Suite("/ready while the PostgreSQL store does not answer", .enabled(if: TestPostgres.isEnabled), .timeLimit(.minutes(2)))
struct ReadyWithAStuckStoreTests {
    @Test func readySaysNotReadyInTimeWhileTheOutboxCannotBeRead() async throws {
        let schema = TestPostgres.newSchemaName()
        do {
            try await Emulator.withRunning(EmulatorConfiguration(seed: 7, world: .init(clients: 2, curators: 1))) { _, port in
                let yaml = try TakeoverLiveTests.configuration(port: port, schema: schema)
                let loaded = try ConfigLoader.parse(yaml, file: "ready.yaml", environment: [:])
                let runtime = BotRuntime(configuration: loaded, bots: [], logger: quietLogger)
                try await withConnectedRuntime(runtime) { _ in
                    let monitoring = try #require(await runtime.waitForMonitoringPort())
                    try await eventually("the leader to be ready") { (try? await monitoringGet(port: monitoring, "/ready"))?.status == 200 }

                    let blocker = try await PostgresStore.open(
                        try TestPostgres.section(schema: schema), password: TestPostgres.password, logger: quietLogger)
                    try await blocker.client.withConnection { connection in
                        try await connection.query("BEGIN", logger: quietLogger).drain()
                        try await connection.query("LOCK TABLE \(unescaped: blocker.schema).outbox IN ACCESS EXCLUSIVE MODE", logger: quietLogger)
                            .drain()
                        // Every answer comes (the client gives up after 30 s), and once the
                        // answers kept from before have aged (1 to 5 s), it is not ready.
                        try await eventually("/ready to see the stuck store") {
                            try await monitoringGet(port: monitoring, "/ready").status == 503
                        }
                        let ready = try await monitoringGet(port: monitoring, "/ready")
                        #expect(ready.status == 503)
                        let body = ready.bodyText(limit: 10_000)
                        #expect(body.contains(#""store_writable":false"#), "\(body)")
                        #expect(body.contains("outbox"), "says what could not be read: \(body)")
                        let metrics = try await scrapeMetrics(port: monitoring)
                        #expect(metrics.value("chatbots_store_writable") == 0)

                        // However often it is asked, at most one count waits on the lock,
                        // and the server ends it: no connection is held for long.
                        await withTaskGroup(of: Void.self) { group in
                            for _ in 0..<10 { group.addTask { _ = try? await monitoringGet(port: monitoring, "/ready") } }
                        }
                        @Sendable func waitingCounts() async throws -> Int {
                            var waiting = 0
                            try await blocker.client.withConnection { probe in
                                let rows = try await probe.query(
                                    """
                                    SELECT count(*)::int4 FROM pg_stat_activity
                                    WHERE wait_event_type = 'Lock' AND query LIKE '%COUNT(*)%outbox%'
                                    """, logger: quietLogger)
                                for try await count in rows.decode(Int32.self) { waiting = Int(count) }
                            }
                            return waiting
                        }
                        #expect(try await waitingCounts() <= 1)
                        try await eventually("the server to end the waiting count") { try await waitingCounts() == 0 }
                        try await connection.query("ROLLBACK", logger: quietLogger).drain()
                    }
                    await blocker.close()
                    try await eventually("ready again once the lock is let go") {
                        (try? await monitoringGet(port: monitoring, "/ready"))?.status == 200
                    }
                }
            }
        } catch {
            try? await TestPostgres.dropSchema(schema)
            throw error
        }
        try await TestPostgres.dropSchema(schema)
    }
}
