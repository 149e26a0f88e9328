@testable import ChatBotKit
import Foundation
import Synchronization
import Testing

/// The cache's rules for reading keys on demand and letting them go, with the store as
/// a dictionary that counts the reads made of it.
@Suite struct BotStateCacheTests {
    final class Values: Sendable {
        private let state = Mutex<(values: [String: StoredBotState], reads: [String])>(([:], []))

        func set(_ key: String, _ text: String?, version: Int64) {
            state.withLock { $0.values[key] = StoredBotState(bot: "b", key: key, data: text.map { Data($0.utf8) }, version: version) }
        }

        var reads: [String] {
            state.withLock { $0.reads }
        }

        /// Reads a key; `during` runs after the read, before the cache sees its result.
        func source(during: @escaping @Sendable () -> Void = {}) -> BotStateCache.Source {
            { key in
                let stored = self.state.withLock { state -> StoredBotState? in
                    state.reads.append(key.key)
                    return state.values[key.key]
                }
                during()
                return stored
            }
        }
    }

    private static func key(_ name: String) -> BotStateCache.Key {
        .init(bot: "b", key: name)
    }

    private static let cost = BotStateCache.overheadPerKey

    @Test func aKeyIsReadFromTheStoreOnceWhenAskedFor() throws {
        let store = Values()
        store.set("a", "1", version: 3)
        let cache = BotStateCache(source: store.source(), budget: 1_000, epoch: 1)
        #expect(cache.bytesInMemory == 0 && cache.keysInMemory == 0)
        let first = try cache.read(Self.key("a"))
        #expect(first.data == Data("1".utf8) && first.version == 3)
        #expect(try cache.read(Self.key("a")).data == Data("1".utf8))
        #expect(try cache.read(Self.key("never")).version == 0)
        #expect(try cache.read(Self.key("never")).data == nil)
        #expect(store.reads == ["a", "never"], "each read from the store once, then held")
        #expect(cache.bytesInMemory == 1 + 2 * Self.cost)
    }

    @Test func writesAreNumberedFromTheEpochWithoutAskingTheStore() throws {
        let store = Values()
        store.set("a", "old", version: 7)
        let cache = BotStateCache(source: store.source(), budget: 1_000, epoch: 2)
        #expect(cache.write(Self.key("a"), data: Data("new".utf8), in: 1) == (2 << 40) + 1)
        #expect(cache.write(Self.key("b"), data: nil, in: 1) == (2 << 40) + 2)
        #expect(store.reads.isEmpty)
        #expect(try cache.read(Self.key("a")).data == Data("new".utf8))
    }

    @Test func pastTheBudgetOnlyDurableKeysLeaveTheLeastUsedFirst() throws {
        let store = Values()
        let cost = 4 + Self.cost   // each value below
        let cache = BotStateCache(source: store.source(), budget: 2 * cost + 14, epoch: 1)
        var versions: [String: Int64] = [:]
        for (sequence, name) in ["a", "b", "c"].enumerated() {
            let text = String(repeating: name, count: 4)
            versions[name] = cache.write(Self.key(name), data: Data(text.utf8), in: Int64(sequence + 1))
            store.set(name, text, version: versions[name] ?? 0)   // as the commit writes it
        }
        _ = try cache.read(Self.key("a"))   // used last: b, then c, are the least recently used
        #expect(cache.bytesInMemory == 3 * cost)

        cache.trim(durableThrough: 0)
        #expect(cache.bytesInMemory == 3 * cost, "nothing durable yet: nothing leaves")
        cache.trim(durableThrough: 3)
        #expect(cache.bytesInMemory == cost, "down to three quarters of the budget, least used first")
        #expect(try cache.read(Self.key("a")).data == Data("aaaa".utf8))
        #expect(store.reads == [], "a was used last and stayed")
        let c = try cache.read(Self.key("c"))
        #expect(c.data == Data("cccc".utf8) && c.version == versions["c"])
        #expect(try cache.read(Self.key("b")).data == Data("bbbb".utf8))
        #expect(store.reads == ["c", "b"])
    }

    @Test func aValueWrittenInACommitNotYetDurableStays() throws {
        let store = Values()   // the store has nothing: the commit is not written yet
        let cache = BotStateCache(source: store.source(), budget: 0, epoch: 1)
        _ = cache.write(Self.key("a"), data: Data("new".utf8), in: 5)
        cache.trim(durableThrough: 4)
        #expect(try cache.read(Self.key("a")).data == Data("new".utf8))
        #expect(store.reads.isEmpty)
    }

    @Test func aWriteDuringAStoreReadIsWhatTheReaderGets() throws {
        let store = Values()
        store.set("a", "old", version: 1)
        let cache = Mutex<BotStateCache?>(nil)
        let overtaking = BotStateCache(
            source: store.source { _ = cache.withLock { $0 }?.write(Self.key("a"), data: Data("new".utf8), in: 1) },
            budget: 1_000, epoch: 1
        )
        cache.withLock { $0 = overtaking }
        let read = try overtaking.read(Self.key("a"))
        #expect(read.data == Data("new".utf8) && read.version == (1 << 40) + 1)
    }

    @Test func aWriteThatOvertakesAStoreReadAndLeavesMakesTheReadStale() throws {
        let store = Values()
        store.set("a", "old", version: 1)
        let cache = Mutex<BotStateCache?>(nil)
        let overtaking = BotStateCache(
            source: store.source {
                // Written, made durable and let go of while the first read was out.
                guard let cache = cache.withLock({ $0 }) else { return }
                let version = cache.write(Self.key("a"), data: Data("new".utf8), in: 1)
                store.set("a", "new", version: version)
                cache.trim(durableThrough: 1)
            },
            budget: 0, epoch: 1
        )
        cache.withLock { $0 = overtaking }
        let read = try overtaking.read(Self.key("a"))
        #expect(read.data == Data("old".utf8) && read.version == 1, "what the store held when read")
        #expect(try overtaking.versions(of: [Self.key("a")])[Self.key("a")]?.get() == (1 << 40) + 1, "so the reader's commit is refused")
        #expect(overtaking.keysInMemory == 0, "the old bytes were not held")
    }

    @Test func aRemovedKeyIsAbsentAtItsVersion() throws {
        let store = Values()
        let cache = BotStateCache(source: store.source(), budget: 0, epoch: 1)
        let version = cache.write(Self.key("a"), data: nil, in: 1)
        store.set("a", nil, version: version)
        cache.trim(durableThrough: 1)
        #expect(cache.keysInMemory == 0)
        let read = try cache.read(Self.key("a"))
        #expect(read.data == nil && read.version == version)
    }

    @Test func aStoreThatCannotBeReadFailsTheReadAndTheVersionCheck() {
        struct Unreadable: Error {}
        let cache = BotStateCache(source: { _ in throw Unreadable() }, budget: 1_000, epoch: 1)
        #expect(throws: Unreadable.self) { try cache.read(Self.key("a")) }
        #expect(throws: Unreadable.self) { try cache.versions(of: [Self.key("a")])[Self.key("a")]?.get() }
    }
}
