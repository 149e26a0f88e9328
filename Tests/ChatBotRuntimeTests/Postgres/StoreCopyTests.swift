import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

@testable import ChatBotRuntime

@Suite("Copying a SQLite store into PostgreSQL", .enabled(if: TestPostgres.isEnabled), .timeLimit(.minutes(2)))
struct StoreCopyTests {
    @Test func everythingArrivesWithItsIdsAndKeysAndOnlyIntoAnEmptyStore() async throws {
        try await StoreSite.with(.sqlite) { sqliteSite in
            try await StoreSite.with(.postgres) { postgresSite in
                let clock = VirtualClock()
                let sqlite = try #require(try await sqliteSite.open() as? SQLiteStore)
                try await withRunningEngine(bots: [LedgerBot()], store: sqlite, clock: clock) { engine in
                    engine.submit(.newChat(.init(clientID: "client-1", chatID: "c1", chatType: .topic)), receivedAt: clock.now())
                    for index in 1...3 {
                        engine.submit(.message(MessageID("m\(index)"), in: "c1", from: "client-1"), receivedAt: clock.now())
                        engine.submit(.message(MessageID("n\(index)"), in: "c2", from: "client-2"), receivedAt: clock.now())
                    }
                    await engine.waitUntilIdle()
                }
                let sent = try await sqlite.pendingActions(after: 0, limit: 100)
                try await sqlite.settle(try #require(sent[0].id), as: .delivered)
                try await sqlite.settle(try #require(sent[1].id), as: .deadLetter(reason: "HTTP 400"))

                let postgres = try #require(try await postgresSite.open() as? PostgresStore)
                let report = try await StoreCopy.copy(from: sqlite, to: postgres)
                #expect(report.chats == 2 && report.actions == 6 && report.pendingActions == 4 && report.timers == 2)

                let expected = try await sqlite.load()
                let found = try await postgres.load()
                #expect(Set(found.chats) == Set(expected.chats))
                #expect(Set(found.users) == Set(expected.users))
                #expect(Set(found.botState) == Set(expected.botState))
                #expect(Set(found.timers) == Set(expected.timers))
                #expect(try await postgres.pendingActions(after: 0, limit: 100) == (try await sqlite.pendingActions(after: 0, limit: 100)))
                #expect(try await postgres.deadLetterList() == (try await sqlite.deadLetterList()))
                var summary = try await postgres.summary()
                summary.lease = nil
                #expect(summary == (try await sqlite.summary()))

                // New actions continue after the copied ids.
                var commit = Commit()
                commit.actions = [
                    OutboxEntry(
                        idempotencyKey: "after", bot: "b", action: .sendMessage(chatID: "c1", text: "x"), createdAt: clock.now(),
                        nextAttemptAt: clock.now())
                ]
                try await postgres.commit([commit])
                let newest = try #require(try await postgres.pendingActions(after: 0, limit: 100).last)
                #expect(newest.idempotencyKey == "after")
                #expect(try #require(newest.id) > (sent.compactMap(\.id).max() ?? 0))

                await #expect(throws: StoreCopy.Refusal.self) { try await StoreCopy.copy(from: sqlite, to: postgres) }
            }
        }
    }
}
