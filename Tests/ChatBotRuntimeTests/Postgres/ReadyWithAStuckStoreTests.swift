import ChatBotKit
import ChatBotTesting
import ChatEmulator
import Foundation
import PostgresNIO
import Testing

@testable import ChatBotRuntime

/// `/ready` (and `/metrics`) answer within their budget when the store does not: a
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
                        // Answered (the client gives up after 30 s), and not ready.
                        let ready = try await monitoringGet(port: monitoring, "/ready")
                        #expect(ready.status == 503)
                        #expect(ready.bodyText().contains(#""store_writable":false"#), "\(ready.bodyText())")
                        let metrics = try await scrapeMetrics(port: monitoring)
                        #expect(metrics.value("chatbots_store_writable") == 0)
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
