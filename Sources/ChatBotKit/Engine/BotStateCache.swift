import Foundation
import Synchronization

/// The bots' state, in memory, with a version per key: the engine's authority while it
/// runs (the store persists it). Versions let concurrent handlers of different chats
/// share keys safely: a handler whose read was overtaken by another commit runs again.
final class BotStateCache: Sendable {
    struct Key: Hashable, Sendable {
        let bot: String
        let key: String
    }

    struct Entry: Sendable {
        /// `nil` once removed: the key keeps its version, so a reader of the old value
        /// still sees the change.
        let data: Data?
        let version: Int64
    }

    private let entries: Mutex<[Key: Entry]>

    init(_ stored: [StoredBotState] = []) {
        var entries: [Key: Entry] = [:]
        for item in stored {
            entries[Key(bot: item.bot, key: item.key)] = Entry(data: item.data, version: item.version)
        }
        self.entries = Mutex(entries)
    }

    /// The value and its version; version 0 for a key never written.
    func read(_ key: Key) -> (data: Data?, version: Int64) {
        entries.withLock { entries in
            guard let entry = entries[key] else { return (nil, 0) }
            return (entry.data, entry.version)
        }
    }

    /// The current version of each key, for validating a handler's reads.
    func version(of key: Key) -> Int64 {
        entries.withLock { $0[key]?.version ?? 0 }
    }

    /// Writes (or, with `nil`, removes) a key; returns the new version.
    func write(_ key: Key, data: Data?) -> Int64 {
        entries.withLock { entries in
            let version = (entries[key]?.version ?? 0) + 1
            entries[key] = Entry(data: data, version: version)
            return version
        }
    }

    /// Every key of one bot with its value, for inspection and tests.
    func snapshot(bot: String) -> [String: Data] {
        entries.withLock { entries in
            var result: [String: Data] = [:]
            for (key, entry) in entries where key.bot == bot {
                result[key.key] = entry.data
            }
            return result
        }
    }
}
