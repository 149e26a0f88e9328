import ChatBotKit
import Foundation
import GRDB

/// The database schema, as named migrations. A migration that has shipped is never
/// edited; changes come as new migrations.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: world, bot state, timers, outbox") { db in
            // The world model: one JSON record per chat and per user.
            try db.execute(
                sql: """
                    CREATE TABLE chat (id TEXT PRIMARY KEY NOT NULL, record BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE user (id TEXT PRIMARY KEY NOT NULL, record BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE bot_state (
                        bot TEXT NOT NULL, key TEXT NOT NULL, value BLOB, version INTEGER NOT NULL,
                        PRIMARY KEY (bot, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE timer (
                        bot TEXT NOT NULL, name TEXT NOT NULL, fire_at REAL NOT NULL, chat_id TEXT, payload BLOB NOT NULL,
                        PRIMARY KEY (bot, name)
                    ) WITHOUT ROWID;
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        idempotency_key TEXT NOT NULL UNIQUE,
                        bot TEXT NOT NULL,
                        chat_id TEXT,
                        kind TEXT NOT NULL,
                        action BLOB NOT NULL,
                        created_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        status TEXT NOT NULL DEFAULT 'pending',
                        settled_at REAL,
                        last_error TEXT
                    );
                    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
                    CREATE INDEX outbox_chat ON outbox (chat_id);
                    """)
        }
        migrator.registerMigration("v2: chats and users in columns, messages in rows") { db in
            // A JSON record per chat made every event rewrite the chat's kept messages.
            // Frozen as written: later changes to the tables come as new migrations, so
            // this one neither reads nor writes through the live `WorldTables` code.
            try db.execute(sql: "ALTER TABLE chat RENAME TO chat_v1; ALTER TABLE user RENAME TO user_v1;")
            try db.execute(
                sql: """
                    CREATE TABLE chat (
                        id TEXT PRIMARY KEY NOT NULL, client_id TEXT, type TEXT, topic TEXT, status TEXT, curator_id TEXT,
                        opened_at REAL, message_count INTEGER NOT NULL, last_client_message_at REAL, last_curator_message_at REAL
                    ) WITHOUT ROWID;
                    CREATE TABLE read_mark (
                        chat_id TEXT NOT NULL, reader_id TEXT NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (chat_id, reader_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE message (
                        chat_id TEXT NOT NULL, sequence INTEGER NOT NULL, id TEXT NOT NULL, sender_id TEXT NOT NULL,
                        sender_role TEXT, message_type TEXT NOT NULL, created_at REAL, received_at REAL NOT NULL,
                        PRIMARY KEY (chat_id, sequence)
                    ) WITHOUT ROWID;
                    CREATE TABLE user (
                        id TEXT PRIMARY KEY NOT NULL, role TEXT, presence TEXT, presence_since REAL, last_assigned_at REAL, topics TEXT
                    ) WITHOUT ROWID;
                    """)
            let decoder = JSONDecoder()
            let seconds = { (date: Date?) in date?.timeIntervalSinceReferenceDate }
            let chats = try Row.fetchCursor(db, sql: "SELECT record FROM chat_v1")
            while let row = try chats.next() {
                let chat = try decoder.decode(ChatRecord.self, from: row[0] as Data)
                try db.execute(
                    sql: """
                        INSERT INTO chat (id, client_id, type, topic, status, curator_id, opened_at, message_count,
                            last_client_message_at, last_curator_message_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        chat.id.rawValue, chat.clientID?.rawValue, chat.type?.wireValue, chat.topic, chat.status?.wireValue,
                        chat.curatorID?.rawValue, seconds(chat.openedAt), chat.messageCount,
                        seconds(chat.lastClientMessageAt), seconds(chat.lastCuratorMessageAt),
                    ])
                for (reader, sequence) in chat.readUpTo {
                    try db.execute(
                        sql: "INSERT INTO read_mark (chat_id, reader_id, sequence) VALUES (?, ?, ?)",
                        arguments: [chat.id.rawValue, reader.rawValue, sequence])
                }
                for message in chat.messages {
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO message (chat_id, sequence, id, sender_id, sender_role, message_type, created_at, received_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            chat.id.rawValue, message.sequence, message.id.rawValue, message.senderID.rawValue,
                            message.senderRole?.rawValue, message.messageType.wireValue, seconds(message.createdAt),
                            seconds(message.receivedAt),
                        ])
                }
            }
            let users = try Row.fetchCursor(db, sql: "SELECT record FROM user_v1")
            while let row = try users.next() {
                let user = try decoder.decode(UserRecord.self, from: row[0] as Data)
                let topics = try user.topics.map { String(decoding: try JSONEncoder().encode($0.sorted()), as: UTF8.self) }
                try db.execute(
                    sql: """
                        INSERT INTO user (id, role, presence, presence_since, last_assigned_at, topics) VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        user.id.rawValue, user.role?.rawValue, user.presence?.wireValue, seconds(user.presenceSince),
                        seconds(user.lastAssignedAt), topics,
                    ])
            }
            try db.execute(sql: "DROP TABLE chat_v1; DROP TABLE user_v1;")
        }
        migrator.registerMigration("v3: the epoch of bot state versions") { db in
            // Each run numbers its state writes from a new epoch (see
            // SQLiteStore.beginStateEpoch), so bot state need not be loaded to know what
            // versions it holds. Versions stored so far count as epoch 0.
            try db.execute(
                sql: """
                    CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO meta (name, value) VALUES ('state_epoch', 0);
                    """)
        }
        migrator.registerMigration("v4: action expiry, and the outbox read by queue") { db in
            // Delivery reads the unsettled rows forward from the last id it saw, and one
            // chat's rows when it refills that chat's queue: partial indexes over the
            // pending rows keep both reads as cheap on a year of delivered rows as on
            // none; and so do the counts `/ready` and `/metrics` take (pending, dead).
            // `expired` joins the statuses: stale actions are kept, not sent.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN expires_at REAL;
                    DROP INDEX outbox_due;
                    CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
                    CREATE INDEX outbox_pending_chat ON outbox (chat_id, id) WHERE status = 'pending';
                    CREATE INDEX outbox_dead ON outbox (id) WHERE status = 'dead';
                    """)
        }
        migrator.registerMigration("v5: bot state by scope, timers by kind") { db in
            // The ordered engine keeps each chat's state together, so it can read a chat's
            // keys when the chat is active, and forget them with it; and bots name keys
            // and timers without formatting strings. Versions and their epochs are gone:
            // one sequence writes, nothing to check. The built-in bots' keys move to their
            // scopes; any other key stays with its bot, under its old name.
            try db.execute(
                sql: """
                    ALTER TABLE bot_state RENAME TO bot_state_v4;
                    CREATE TABLE bot_state (
                        scope TEXT NOT NULL, owner TEXT NOT NULL, bot TEXT NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL,
                        PRIMARY KEY (scope, owner, bot, name)
                    ) WITHOUT ROWID;
                    CREATE INDEX bot_state_bot ON bot_state (bot);
                    DELETE FROM meta WHERE name = 'state_epoch';
                    ALTER TABLE timer ADD COLUMN kind TEXT NOT NULL DEFAULT '';
                    UPDATE timer SET kind = CASE WHEN instr(name, '.') > 0 THEN substr(name, 1, instr(name, '.') - 1) ELSE name END;
                    """)
            // (prefix, scope, suffix, new name): `prefix<owner>suffix` becomes `name` of that owner.
            let legacy: [(prefix: String, scope: String, suffix: String, name: String)] = [
                ("decisions.", "chat", "", "decisions"), ("inflight.chat.", "chat", "", "inflight"),
                ("inflight.curator.", "user", "", "inflight"), ("client.", "user", ".curator", "last_curator"),
                ("clocks.", "chat", "", "clocks"), ("replied.", "chat", "", "replied"), ("greeted.", "chat", "", "greeted"),
                ("tags.", "chat", "", "tags"),
            ]
            let rows = try Row.fetchCursor(db, sql: "SELECT bot, key, value FROM bot_state_v4 WHERE value IS NOT NULL")
            while let row = try rows.next() {
                let key: String = row["key"]
                var (scope, owner, name) = ("bot", "", key)
                if let match = legacy.first(where: {
                    key.hasPrefix($0.prefix) && key.hasSuffix($0.suffix) && key.count > $0.prefix.count + $0.suffix.count
                }) {
                    scope = match.scope
                    owner = String(key.dropFirst(match.prefix.count).dropLast(match.suffix.count))
                    name = match.name
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO bot_state (scope, owner, bot, name, value) VALUES (?, ?, ?, ?, ?)",
                    arguments: [scope, owner, row["bot"] as String, name, row["value"] as Data]
                )
            }
            try db.execute(sql: "DROP TABLE bot_state_v4")
        }
        migrator.registerMigration("v6: retention") { db in
            // Retention deletes delivered, expired and dead rows once they are old enough:
            // found by when they settled, oldest first, without reading a year of rows.
            // Closed chats leave memory after a quiet time (their last event) and their
            // rows stay a while, marked forgotten, unloaded, until deleted in turn.
            try db.execute(
                sql: """
                    CREATE INDEX outbox_settled ON outbox (settled_at) WHERE status != 'pending';
                    ALTER TABLE chat ADD COLUMN last_event_at REAL;
                    ALTER TABLE chat ADD COLUMN forgotten_at REAL;
                    CREATE INDEX chat_forgotten ON chat (last_event_at) WHERE forgotten_at IS NOT NULL;
                    CREATE INDEX timer_chat ON timer (chat_id) WHERE chat_id IS NOT NULL;
                    """)
            // A chat stored before counts as active at the upgrade: none is forgotten
            // on the first pass for a quiet time that was never recorded. (Seconds since
            // Foundation's reference date, as the world's times are stored.)
            try db.execute(sql: "UPDATE chat SET last_event_at = CAST(strftime('%s', 'now') AS REAL) - 978307200")
        }
        return migrator
    }
}
