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
/// With a ``StateOnDemandStore`` the cache holds only the working set: it starts empty,
/// reads a key from the store when a handler asks for it, and once what it holds passes
/// its budget lets go of the least recently used keys, but only those the store has as
/// they are: a value whose commit is not durable yet exists nowhere else. A key not
/// held is, by that rule, exactly as stored.
///
/// Versions are numbered from one counter, not per key: a write needs no knowledge of
/// the key's earlier versions, so writing a key the cache does not hold costs no store
/// read. Each run starts the counter at a new epoch from the store, past anything an
/// earlier run wrote.
final class BotStateCache: Sendable {
    struct Key: Hashable, Sendable {
        let bot: String
        let key: String
    }

    /// Reads one key from the store: its value and version, `nil` if never written.
    typealias Source = @Sendable (Key) throws -> StoredBotState?

    /// A value held in memory: its bytes (`nil` once removed, or never written) and,
    /// for the next reader asking for the same type, the bytes decoded.
    private final class Held: @unchecked Sendable {
        // Only read and changed under the cache's lock.
        let data: Data?
        var decoded: (any Sendable)?

        /// Every absent value's: nothing to decode, so nothing ever changes in it.
        static let absent = Held(nil)

        static func of(_ data: Data?) -> Held {
            data == nil ? absent : Held(data)
        }

        private init(_ data: Data?) {
            self.data = data
        }
    }

    /// What a held key costs beyond its value's bytes (its place in the table, the box,
    /// the buffer's header), counted against the budget so that many small values cannot
    /// hide behind it. A decoded form comes on top.
    static let overheadPerKey = 128

    private struct Entry {
        /// 0 for a key never written.
        let version: Int64
        let held: Held
        /// The commit that wrote this value (0: as read from the store); until it is
        /// durable the key is not let go of.
        var writtenIn: Int64 = 0
        /// When a handler last read or wrote it, on the cache's own count.
        var lastUsed: UInt64 = 0

        var bytes: Int {
            (held.data?.count ?? 0) + BotStateCache.overheadPerKey
        }
    }

    private struct Entries {
        var byKey: [Key: Entry] = [:]
        /// Keys being read from the store, each with the token of its latest reader: a
        /// write meanwhile takes the token away, so the reader's older bytes are not held.
        var loading: [Key: UInt64] = [:]
        /// What the keys held count against the budget.
        var bytes = 0
        var uses: UInt64 = 0
        var nextVersion: Int64

        /// Sets (or, with `nil`, drops) a key's entry, keeping `bytes` in step.
        mutating func set(_ key: Key, _ entry: Entry?) {
            bytes += (entry?.bytes ?? 0) - (byKey[key]?.bytes ?? 0)
            byKey[key] = entry
        }

        mutating func touch(_ key: Key) -> Entry? {
            guard var entry = byKey[key] else { return nil }
            uses += 1
            entry.lastUsed = uses
            byKey[key] = entry
            return entry
        }
    }

    private let entries: Mutex<Entries>
    private let source: Source?
    private let budget: Int

    /// All of a store's state, held for good: for a store that cannot read a key alone.
    init(_ stored: [StoredBotState] = []) {
        var contents = Entries(nextVersion: (stored.map(\.version).max() ?? 0) + 1)
        contents.byKey.reserveCapacity(stored.count)
        for item in stored {
            contents.set(Key(bot: item.bot, key: item.key), Entry(version: item.version, held: .of(item.data)))
        }
        entries = Mutex(contents)
        source = nil
        budget = .max
    }

    /// Epochs from 1 up to this leave versions positive: each run numbers up to 2^40
    /// writes from `epoch << 40`.
    static let epochLimit: Int64 = 1 << 22

    /// Nothing held yet: keys are read from `source` when asked for, and held within
    /// `budget` (bytes, ``overheadPerKey`` each included) once durable.
    ///
    /// - Parameter epoch: This run's, from ``StateOnDemandStore/beginStateEpoch()``;
    ///   versions written are `epoch << 40` and up.
    init(source: @escaping Source, budget: Int, epoch: Int64) {
        entries = Mutex(Entries(nextVersion: (epoch << 40) + 1))
        self.source = source
        self.budget = max(0, budget)
    }

    /// The value, its version (0 for a key never written) and its decoded form if one
    /// is kept. Reads a key not held from the store, and holds it; throws if that read
    /// fails.
    func read(_ key: Key) throws -> (data: Data?, version: Int64, decoded: (any Sendable)?) {
        enum Found { case held(Data?, Int64, (any Sendable)?), absent, load(token: UInt64) }
        let found = entries.withLock { entries -> Found in
            // Copied under the lock: `remember` sets `decoded` under it.
            if let entry = entries.touch(key) { return .held(entry.held.data, entry.version, entry.held.decoded) }
            guard source != nil else { return .absent }
            entries.uses += 1
            entries.loading[key] = entries.uses
            return .load(token: entries.uses)
        }
        switch found {
        case .held(let data, let version, let decoded):
            return (data, version, decoded)
        case .absent:
            return (nil, 0, nil)
        case .load(let token):
            return try load(key, token: token)
        }
    }

    /// Reads a key from the store, outside the lock: a store read must not hold up
    /// other handlers. A key not held is as stored; if a write overtakes this read, the
    /// version read is stale and the handler's commit is refused as a conflict.
    private func load(_ key: Key, token: UInt64) throws -> (data: Data?, version: Int64, decoded: (any Sendable)?) {
        let stored: StoredBotState?
        do {
            stored = try source?(key)
        } catch {
            entries.withLock { entries in
                if entries.loading[key] == token { entries.loading[key] = nil }
            }
            throw error
        }
        let read = (data: stored?.data, version: stored?.version ?? 0)
        return entries.withLock { entries in
            // Written (and still held) meanwhile: that is the value now.
            if let entry = entries.touch(key) { return (entry.held.data, entry.version, entry.held.decoded) }
            guard entries.loading[key] == token else { return (read.data, read.version, nil) }
            entries.loading[key] = nil
            entries.uses += 1
            entries.set(key, Entry(version: read.version, held: .of(read.data), lastUsed: entries.uses))
            return (read.data, read.version, nil)
        }
    }

    /// Keeps `value` as the decoded form of `key`, if the key is still at `version`.
    func remember(_ value: any Sendable, for key: Key, at version: Int64) {
        entries.withLock { entries in
            guard let entry = entries.byKey[key], entry.version == version, entry.held.data != nil else { return }
            entry.held.decoded = value
        }
    }

    /// The keys' current versions, for validating a handler's reads: held keys' under
    /// one lock; a key not held is as stored, so its version is read from the store (a
    /// key a handler read may have been let go of since, once durable), outside the lock.
    /// A store read that fails gives its error for that key.
    func versions(of keys: some Sequence<Key>) -> [Key: Result<Int64, any Error>] {
        var versions: [Key: Result<Int64, any Error>] = [:]
        let unheld = entries.withLock { entries -> [Key] in
            var unheld: [Key] = []
            for key in keys {
                if let entry = entries.byKey[key] {
                    versions[key] = .success(entry.version)
                } else if source == nil {
                    versions[key] = .success(0)
                } else {
                    unheld.append(key)
                }
            }
            return unheld
        }
        for key in unheld {
            versions[key] = Result { try source?(key)?.version ?? 0 }
        }
        return versions
    }

    /// Writes (or, with `nil`, removes) a key in commit `sequence`; returns its new
    /// version. The next reader decodes the bytes: what it reads is what a restarted
    /// engine would.
    func write(_ key: Key, data: Data?, in sequence: Int64) -> Int64 {
        entries.withLock { entries in
            let version = entries.nextVersion
            entries.nextVersion += 1
            entries.uses += 1
            entries.loading[key] = nil
            entries.set(key, Entry(version: version, held: .of(data), writtenIn: sequence, lastUsed: entries.uses))
            return version
        }
    }

    /// Once the keys held pass the budget, lets go of the least recently used ones the
    /// store has as they are (written in a commit up to `durableThrough`, or read from
    /// it), down to three quarters of the budget, so that this runs once in a while, not
    /// on every commit. It looks through the keys held: the working set, not every key.
    func trim(durableThrough: Int64) {
        entries.withLock { entries in
            guard entries.bytes > budget else { return }
            var candidates: [(lastUsed: UInt64, key: Key)] = []
            for (key, entry) in entries.byKey where entry.writtenIn <= durableThrough {
                candidates.append((entry.lastUsed, key))
            }
            candidates.sort { $0.lastUsed < $1.lastUsed }
            let target = budget / 4 * 3
            for (_, key) in candidates {
                guard entries.bytes > target else { break }
                entries.set(key, nil)
            }
        }
    }

    /// What the keys held in memory count against the budget now: their values' bytes
    /// and ``overheadPerKey`` each.
    var bytesInMemory: Int {
        entries.withLock { $0.bytes }
    }

    /// How many keys are held in memory now.
    var keysInMemory: Int {
        entries.withLock { $0.byKey.count }
    }

    /// The keys of one bot held now, with their values and versions.
    func held(bot: String) -> [String: (data: Data?, version: Int64)] {
        entries.withLock { entries in
            var result: [String: (data: Data?, version: Int64)] = [:]
            for (key, entry) in entries.byKey where key.bot == bot {
                result[key.key] = (entry.held.data, entry.version)
            }
            return result
        }
    }
}
