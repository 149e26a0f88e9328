@testable import ChatBotKit
import Foundation
import Synchronization
import Testing

/// The cache's rules for values it may let go of, with the store as a dictionary.
@Suite struct BotStateCacheTests {
    /// A store of values that counts the reads the cache makes of it.
    final class Values: Sendable {
        private let state = Mutex<(values: [String: Data], reads: [String])>(([:], []))

        func set(_ key: String, _ text: String) {
            state.withLock { $0.values[key] = Data(text.utf8) }
        }

        var reads: [String] {
            state.withLock { $0.reads }
        }

        func source(then: @escaping @Sendable () -> Void = {}) -> BotStateCache.Source {
            { key in
                let data = self.state.withLock { state -> Data? in
                    state.reads.append(key.key)
                    return state.values[key.key]
                }
                then()
                return data
            }
        }
    }

    private static func key(_ name: String) -> BotStateCache.Key {
        .init(bot: "b", key: name)
    }

    @Test func aValueLeftInTheStoreIsReadOnceWhenAskedFor() throws {
        let store = Values()
        store.set("a", "1")
        let cache = BotStateCache(leftInStore: [.init(bot: "b", key: "a", version: 3)], source: store.source(), budget: 1_000)
        #expect(cache.bytesInMemory == 0)
        #expect(store.reads.isEmpty, "nothing is read at start")
        let first = try cache.read(Self.key("a"))
        #expect(first.data == Data("1".utf8) && first.version == 3)
        #expect(try cache.read(Self.key("a")).data == Data("1".utf8))
        #expect(store.reads == ["a"], "read from the store once, then held")
        #expect(cache.bytesInMemory == 1 + BotStateCache.overheadPerValue)
    }

    @Test func pastTheBudgetOnlyDurableValuesLeaveTheLeastUsedFirst() throws {
        let store = Values()
        let cost = 4 + BotStateCache.overheadPerValue   // each value below
        let cache = BotStateCache(source: store.source(), budget: 2 * cost + 14)
        for (sequence, name) in ["a", "b", "c"].enumerated() {
            let text = String(repeating: name, count: 4)
            store.set(name, text)
            _ = cache.write(Self.key(name), data: Data(text.utf8), in: Int64(sequence + 1))
        }
        _ = try cache.read(Self.key("a"))   // used last: b, then c, are the least recently used
        #expect(cache.bytesInMemory == 3 * cost)

        cache.trim(durableThrough: 0)
        #expect(cache.bytesInMemory == 3 * cost, "nothing durable yet: nothing leaves")
        cache.trim(durableThrough: 3)
        #expect(cache.bytesInMemory == cost, "down to three quarters of the budget, least used first")
        #expect(try cache.read(Self.key("a")).data == Data("aaaa".utf8))
        #expect(store.reads == [], "a was used last and stayed")
        #expect(try cache.read(Self.key("c")).data == Data("cccc".utf8))
        #expect(try cache.read(Self.key("b")).data == Data("bbbb".utf8))
        #expect(store.reads == ["c", "b"])
    }

    @Test func aValueWrittenInACommitNotYetDurableStays() throws {
        let store = Values()   // the store has nothing: the commit is not written yet
        let cache = BotStateCache(source: store.source(), budget: 0)
        _ = cache.write(Self.key("a"), data: Data("new".utf8), in: 5)
        cache.trim(durableThrough: 4)
        #expect(try cache.read(Self.key("a")).data == Data("new".utf8))
        #expect(store.reads.isEmpty)
    }

    @Test func aWriteThatOvertakesAStoreReadWins() throws {
        let store = Values()
        store.set("a", "old")
        let cache = Mutex<BotStateCache?>(nil)
        let overtaking = BotStateCache(
            leftInStore: [.init(bot: "b", key: "a", version: 1)],
            source: store.source { _ = cache.withLock { $0 }?.write(Self.key("a"), data: Data("new".utf8), in: 1) },
            budget: 1_000
        )
        cache.withLock { $0 = overtaking }
        // The reader gets the old value at the old version: its commit will be refused.
        let read = try overtaking.read(Self.key("a"))
        #expect(read.data == Data("old".utf8) && read.version == 1)
        #expect(overtaking.version(of: Self.key("a")) == 2)
        // And the stale bytes it read never replace the newer value.
        #expect(try overtaking.read(Self.key("a")).data == Data("new".utf8))
    }

    @Test func aStoreThatCannotBeReadFailsTheRead() {
        struct Unreadable: Error {}
        let cache = BotStateCache(
            leftInStore: [.init(bot: "b", key: "a", version: 1)], source: { _ in throw Unreadable() }, budget: 1_000
        )
        #expect(throws: Unreadable.self) { try cache.read(Self.key("a")) }
    }

    @Test func aSnapshotReadsValuesLeftInTheStoreWithoutHoldingThem() throws {
        let store = Values()
        store.set("a", "1")
        let cache = BotStateCache(leftInStore: [.init(bot: "b", key: "a", version: 1)], source: store.source(), budget: 1_000)
        #expect(try cache.snapshot(bot: "b") == ["a": Data("1".utf8)])
        #expect(cache.bytesInMemory == 0)
    }

    @Test func aRemovedKeyKeepsItsVersionAndCostsNothing() throws {
        let cache = BotStateCache(source: Values().source(), budget: 0)
        _ = cache.write(Self.key("a"), data: Data("1".utf8), in: 1)
        #expect(cache.write(Self.key("a"), data: nil, in: 2) == 2)
        #expect(cache.bytesInMemory == 0)
        cache.trim(durableThrough: 2)
        let read = try cache.read(Self.key("a"))
        #expect(read.data == nil && read.version == 2)
    }
}
