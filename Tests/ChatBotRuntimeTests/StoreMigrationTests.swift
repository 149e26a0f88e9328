import ChatBotKit
import ChatBotTesting
import Foundation
import GRDB
import Testing

@testable import ChatBotRuntime

/// A store written by the release before scoped state (migrations up to v4) opens, and
/// its bots' keys and timers are where the bots now look for them.
@Suite("Stores of the previous release, migrated", .timeLimit(.minutes(1)))
struct StoreMigrationTests {
    @Test func theBuiltInBotsKeysMoveToTheirScopesAndOtherKeysStayWithTheirBot() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("old.sqlite").path
            let pool = try DatabasePool(path: path)
            try StoreMigrations.migrator.migrate(pool, upTo: "v4: action expiry, and the outbox read by queue")
            try await pool.write { db in
                let rows: [(String, String, String?)] = [
                    ("auto_assign", "decisions.7", "[]"), ("auto_assign", "inflight.chat.7", #""a""#),
                    ("auto_assign", "inflight.curator.a", #"{"7":1}"#), ("auto_assign", "client.c.1.curator", #""a""#),
                    ("auto_assign", "assignments", #"{"queue":[]}"#), ("sla_alerts", "clocks.7", "{}"),
                    ("after_hours", "replied.7", "1"), ("greeter", "greeted.7", "true"), ("greeter", "tags.7", "[]"),
                    ("mine", "my.own.key", "42"), ("mine", "removed", nil),
                ]
                for (bot, key, value) in rows {
                    try db.execute(
                        sql: "INSERT INTO bot_state (bot, key, value, version) VALUES (?, ?, ?, 1)",
                        arguments: [bot, key, value.map { Data($0.utf8) }]
                    )
                }
                try db.execute(
                    sql: """
                        INSERT INTO timer (bot, name, fire_at, chat_id, payload) VALUES
                        ('sla_alerts', 'sla.unread.warning.7.m1', 1, '7', '{"policy":"unread","chat":"7","message":"m1","level":"warning"}'),
                        ('auto_assign', 'offline.a', 1, NULL, '"a"'), ('mine', 'plain', 1, NULL, 'null')
                        """)
            }
            try pool.close()

            let snapshot = try await SQLiteStore(path: path).load()
            let keys = Dictionary(uniqueKeysWithValues: snapshot.botState.map { ("\($0.key.bot) \($0.key)", $0.data) })
            #expect(
                Set(keys.keys) == [
                    "auto_assign chat:7:decisions", "auto_assign chat:7:inflight", "auto_assign user:a:inflight",
                    "auto_assign user:c.1:last_curator", "auto_assign assignments", "sla_alerts chat:7:clocks",
                    "after_hours chat:7:replied", "greeter chat:7:greeted", "greeter chat:7:tags", "mine my.own.key",
                ])
            #expect(keys["auto_assign user:a:inflight"] == Data(#"{"7":1}"#.utf8))
            let timers = Dictionary(uniqueKeysWithValues: snapshot.timers.map { ($0.request.name, $0.request.kind) })
            #expect(timers == ["sla.unread.warning.7.m1": "sla", "offline.a": "offline", "plain": "plain"])
        }
    }
}
