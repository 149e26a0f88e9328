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
            try db.execute(sql: """
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
            // A JSON record per chat made every event rewrite the chat's kept messages;
            // the world's tables (WorldTables) write a row per message instead.
            try db.execute(sql: "ALTER TABLE chat RENAME TO chat_v1; ALTER TABLE user RENAME TO user_v1;")
            try db.execute(sql: WorldTables.schema)
            let decoder = JSONDecoder()
            let chats = try Row.fetchCursor(db, sql: "SELECT record FROM chat_v1")
            while let row = try chats.next() {
                let chat = try decoder.decode(ChatRecord.self, from: row[0] as Data)
                try WorldTables.write(chat, in: db)
                for message in chat.messages {
                    try WorldTables.write(StoredMessage(chatID: chat.id, message: message), in: db)
                }
            }
            let users = try Row.fetchCursor(db, sql: "SELECT record FROM user_v1")
            while let row = try users.next() {
                try WorldTables.write(try decoder.decode(UserRecord.self, from: row[0] as Data), in: db)
            }
            try db.execute(sql: "DROP TABLE chat_v1; DROP TABLE user_v1;")
        }
        return migrator
    }
}
