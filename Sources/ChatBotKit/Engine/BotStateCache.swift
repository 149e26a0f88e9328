import Foundation
import Synchronization

/// The bots' state, in memory, with a version per key: the engine's authority while it
/// runs (the store persists it). Versions let concurrent handlers of different chats
/// share keys safely: a handler whose read was overtaken by another commit runs again.
///
/// Beside each value's bytes the cache keeps the value as last decoded from them, so a
/// handler reading a key nobody changed since skips JSON decoding: a bot that reads the
/// same few keys on every event (a queue, a value per curator) would otherwise spend
/// most of its time in the decoder.
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
        /// `data` decoded, for the next reader asking for the same type.
        var decoded: (any Sendable)? = nil
    }

    private let entries: Mutex<[Key: Entry]>

    init(_ stored: [StoredBotState] = []) {
        var entries: [Key: Entry] = [:]
        for item in stored {
            entries[Key(bot: item.bot, key: item.key)] = Entry(data: item.data, version: item.version)
        }
        self.entries = Mutex(entries)
    }

    /// The value, its version (0 for a key never written) and its decoded form if one
    /// is kept.
    func read(_ key: Key) -> (data: Data?, version: Int64, decoded: (any Sendable)?) {
        entries.withLock { entries in
            guard let entry = entries[key] else { return (nil, 0, nil) }
            return (entry.data, entry.version, entry.decoded)
        }
    }

    /// Keeps `value` as the decoded form of `key`, if the key is still at `version`.
    func remember(_ value: any Sendable, for key: Key, at version: Int64) {
        entries.withLock { entries in
            guard entries[key]?.version == version else { return }
            entries[key]?.decoded = value
        }
    }

    /// The current version of each key, for validating a handler's reads.
    func version(of key: Key) -> Int64 {
        entries.withLock { $0[key]?.version ?? 0 }
    }

    /// Writes (or, with `nil`, removes) a key; returns the new version. The next reader
    /// decodes the bytes: what it reads is what a restarted engine would.
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
