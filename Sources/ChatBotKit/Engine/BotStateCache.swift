import Foundation
import Synchronization

/// The bots' state, with a version per key: the engine's authority while it runs (the
/// store persists it). Versions let concurrent handlers of different chats share keys
/// safely: a handler whose read was overtaken by another commit runs again.
///
/// Beside each value's bytes the cache keeps the value as last decoded from them, so a
/// handler reading a key nobody changed since skips JSON decoding: a bot that reads the
/// same few keys on every event (a queue, a value per curator) would otherwise spend
/// most of its time in the decoder.
///
/// Every key and its version stay in memory; with a ``StateOnDemandStore`` the values
/// need not. The cache then starts with none, reads a value back when a handler asks
/// for it, and once the values it holds pass its budget lets go of the least recently
/// used, but only values the store already has: a value whose commit is not durable yet
/// exists nowhere else.
final class BotStateCache: Sendable {
    struct Key: Hashable, Sendable {
        let bot: String
        let key: String
    }

    /// Reads a value the cache let go of back from the store.
    typealias Source = @Sendable (Key) throws -> Data?

    /// A value held in memory: its bytes (`nil` once removed: the key keeps its
    /// version, so a reader of the old value still sees the change) and, for the next
    /// reader asking for the same type, the bytes decoded.
    private final class Held: @unchecked Sendable {
        // Only read and changed under the cache's lock.
        let data: Data?
        var decoded: (any Sendable)?

        /// Every removed key's: nothing to decode, so nothing ever changes in it.
        static let removed = Held(nil)

        static func of(_ data: Data?) -> Held {
            data == nil ? removed : Held(data)
        }

        private init(_ data: Data?) {
            self.data = data
        }
    }

    /// What a held value costs beyond its bytes (the box, the buffer's header), counted
    /// against the budget so that many small values cannot hide behind it. A decoded
    /// form comes on top.
    static let overheadPerValue = 64

    /// One key: small, since every key the bots ever wrote has one.
    private struct Entry {
        let version: Int64
        /// `nil` while the value is only in the store.
        var held: Held?
        /// The commit that wrote this value (0: as loaded); until it is durable the
        /// value is not let go of.
        var writtenIn: Int64 = 0
        /// When a handler last read or wrote it, on the cache's own count.
        var lastUsed: UInt64 = 0

        var bytes: Int {
            held?.data.map { $0.count + BotStateCache.overheadPerValue } ?? 0
        }
    }

    private struct Entries {
        var byKey: [Key: Entry] = [:]
        /// The keys whose values are held: what ``trim(durableThrough:)`` looks through,
        /// the working set rather than every key ever written.
        var held: Set<Key> = []
        /// What the values held count against the budget.
        var bytes = 0
        var uses: UInt64 = 0

        /// Sets a key's entry, keeping `held` and `bytes` in step.
        mutating func set(_ key: Key, _ entry: Entry) {
            bytes += entry.bytes - (byKey[key]?.bytes ?? 0)
            if entry.bytes > 0 { held.insert(key) } else { held.remove(key) }
            byKey[key] = entry
        }
    }

    private let entries: Mutex<Entries>
    private let source: Source?
    private let budget: Int

    /// - Parameters:
    ///   - stored: Keys with their values, as loaded.
    ///   - leftInStore: Keys whose values stay in the store until asked for (`source`).
    ///   - budget: The bytes of values to hold at most, once durable (with a `source`).
    init(_ stored: [StoredBotState] = [], leftInStore: [StoredBotStateVersion] = [], source: Source? = nil, budget: Int = .max) {
        var contents = Entries()
        contents.byKey.reserveCapacity(stored.count + leftInStore.count)
        for item in stored {
            contents.set(Key(bot: item.bot, key: item.key), Entry(version: item.version, held: .of(item.data)))
        }
        for item in leftInStore {
            contents.byKey[Key(bot: item.bot, key: item.key)] = Entry(version: item.version, held: nil)
        }
        entries = Mutex(contents)
        self.source = source
        self.budget = source == nil ? .max : max(0, budget)
    }

    /// The value, its version (0 for a key never written) and its decoded form if one
    /// is kept. Reads a value left in the store back from it, and holds it unless
    /// `hold` is false; throws if that fails.
    func read(_ key: Key, hold: Bool = true) throws -> (data: Data?, version: Int64, decoded: (any Sendable)?) {
        let (version, held) = entries.withLock { entries -> (Int64, (data: Data?, decoded: (any Sendable)?)?) in
            guard var entry = entries.byKey[key] else { return (0, (nil, nil)) }
            guard hold else { return (entry.version, entry.held.map { ($0.data, $0.decoded) }) }
            entries.uses += 1
            entry.lastUsed = entries.uses
            entries.byKey[key] = entry
            return (entry.version, entry.held.map { ($0.data, $0.decoded) })
        }
        if let held { return (held.data, version, held.decoded) }
        guard let source else { return (nil, version, nil) }
        // Outside the lock: a store read must not hold up other handlers. A value left in
        // the store is durable at its version; if a write overtakes this read, the version
        // read is stale and the commit sends the handler round again.
        let data = try source(key)
        guard hold else { return (data, version, nil) }
        entries.withLock { entries in
            guard var entry = entries.byKey[key], entry.version == version, entry.held == nil else { return }
            entry.held = .of(data)
            entries.set(key, entry)
        }
        return (data, version, nil)
    }

    /// Keeps `value` as the decoded form of `key`, if the key is still at `version`.
    func remember(_ value: any Sendable, for key: Key, at version: Int64) {
        entries.withLock { entries in
            guard let entry = entries.byKey[key], entry.version == version, let held = entry.held, held.data != nil else { return }
            held.decoded = value
        }
    }

    /// The current version of each key, for validating a handler's reads.
    func version(of key: Key) -> Int64 {
        entries.withLock { $0.byKey[key]?.version ?? 0 }
    }

    /// Writes (or, with `nil`, removes) a key in commit `sequence`; returns the new
    /// version. The next reader decodes the bytes: what it reads is what a restarted
    /// engine would.
    func write(_ key: Key, data: Data?, in sequence: Int64) -> Int64 {
        entries.withLock { entries in
            let version = (entries.byKey[key]?.version ?? 0) + 1
            entries.uses += 1
            entries.set(key, Entry(version: version, held: .of(data), writtenIn: sequence, lastUsed: entries.uses))
            return version
        }
    }

    /// Once the values held pass the budget, lets go of the least recently used ones the
    /// store has (written in a commit up to `durableThrough`, or loaded), down to three
    /// quarters of the budget, so that this runs once in a while, not on every commit.
    func trim(durableThrough: Int64) {
        entries.withLock { entries in
            guard entries.bytes > budget else { return }
            var candidates: [(lastUsed: UInt64, key: Key)] = []
            for key in entries.held {
                guard let entry = entries.byKey[key], entry.writtenIn <= durableThrough else { continue }
                candidates.append((entry.lastUsed, key))
            }
            candidates.sort { $0.lastUsed < $1.lastUsed }
            let target = budget / 4 * 3
            for (_, key) in candidates {
                guard entries.bytes > target, var entry = entries.byKey[key] else { break }
                entry.held = nil
                entries.set(key, entry)
            }
        }
    }

    /// What the values held in memory count against the budget now: their bytes and
    /// ``overheadPerValue`` each.
    var bytesInMemory: Int {
        entries.withLock { $0.bytes }
    }

    /// Every key of one bot with its value, for inspection and tests: values left in
    /// the store are read from it, and left there.
    func snapshot(bot: String) throws -> [String: Data] {
        let keys = entries.withLock { entries in entries.byKey.keys.filter { $0.bot == bot } }
        var result: [String: Data] = [:]
        for key in keys {
            result[key.key] = try read(key, hold: false).data
        }
        return result
    }
}
