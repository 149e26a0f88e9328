import ChatBotKit
import Foundation
import GRDB

/// The `bot_state` table: one row per key, by scope (`bot`, `chat`, `user`), owner (the
/// chat's or user's id; empty for the bot scope), bot and name. A chat's keys are one
/// range of the primary key, read together when the chat becomes active.
enum BotStateRows {
    /// Every key (`withChats`), or the bot- and user-scoped keys only.
    static func loaded(withChats: Bool, in db: Database) throws -> [StoredBotState] {
        let sql = "SELECT scope, owner, bot, name, value FROM bot_state" + (withChats ? "" : " WHERE scope != 'chat'")
        var states: [StoredBotState] = []
        let rows = try Row.fetchCursor(db, sql: sql)
        while let row = try rows.next() {
            if let state = state(row) { states.append(state) }
        }
        return states
    }

    /// One chat's keys, of every bot.
    static func chat(_ chat: ChatID, in db: Database) throws -> [StoredBotState] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT scope, owner, bot, name, value FROM bot_state WHERE scope = 'chat' AND owner = ?"),
            arguments: [chat.rawValue]
        ).compactMap(state)
    }

    /// One user's keys, of every bot.
    static func user(_ user: UserID, in db: Database) throws -> [StoredBotState] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT scope, owner, bot, name, value FROM bot_state WHERE scope = 'user' AND owner = ?"),
            arguments: [user.rawValue]
        ).compactMap(state)
    }

    /// Every key of one bot.
    static func all(of bot: String, in db: Database) throws -> [StoredBotState] {
        try Row.fetchAll(db, sql: "SELECT scope, owner, bot, name, value FROM bot_state WHERE bot = ?", arguments: [bot]).compactMap(state)
    }

    /// Writes a value, or deletes the key when it has none.
    static func write(_ state: StoredBotState, in db: Database) throws {
        let (scope, owner) = columns(of: state.key.scope)
        if let data = state.data {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO bot_state (scope, owner, bot, name, value) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [scope, owner, state.key.bot, state.key.name, data])
        } else {
            try db.cachedStatement(sql: "DELETE FROM bot_state WHERE scope = ? AND owner = ? AND bot = ? AND name = ?")
                .execute(arguments: [scope, owner, state.key.bot, state.key.name])
        }
    }

    static func columns(of scope: StateScope) -> (scope: String, owner: String) {
        switch scope {
        case .bot: ("bot", "")
        case .chat(let chat): ("chat", chat.rawValue)
        case .user(let user): ("user", user.rawValue)
        }
    }

    /// A row as a key and value; `nil` for a scope this version does not know.
    private static func state(_ row: Row) -> StoredBotState? {
        state(scope: row[0], owner: row[1], bot: row[2], name: row[3], value: row[4])
    }

    /// A key and value from its columns; `nil` for a scope this version does not know.
    static func state(scope: String, owner: String, bot: String, name: String, value: Data) -> StoredBotState? {
        let stateScope: StateScope
        switch scope {
        case "bot": stateScope = .bot
        case "chat": stateScope = .chat(ChatID(owner))
        case "user": stateScope = .user(UserID(owner))
        default: return nil
        }
        return StoredBotState(key: StoredStateKey(bot: bot, scope: stateScope, name: name), data: value)
    }
}
