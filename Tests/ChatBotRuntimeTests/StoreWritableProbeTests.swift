@testable import ChatBotRuntime
import Foundation
import GRDB
import Synchronization
import Testing

/// `/ready`'s store check against a real SQLite file whose write lock another
/// connection holds, as a second process would.
@Suite("The store-writable probe", .timeLimit(.minutes(1)))
struct StoreWritableProbeTests {
    @Test func aHeldWriteLockIsReportedWithinTheBudgetAndOneCheckServesEveryCaller() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("bots.sqlite").path
            let store = try SQLiteStore(path: path)
            let checks = Mutex(0)
            let probe = StoreWritableProbe(budget: .milliseconds(300), freshFor: .zero) {
                checks.withLock { $0 += 1 }
                try await store.checkWritable()
            }
            #expect(await probe.problem() == nil)
            #expect(checks.withLock { $0 } == 1)

            // Another connection takes the write lock and keeps it.
            var holding = Configuration()
            holding.allowsUnsafeTransactions = true   // the lock outlives one database access, on purpose
            let other = try DatabaseQueue(path: path, configuration: holding)
            try await other.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
            }
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                for await _ in release.stream {}
                try await other.writeWithoutTransaction { db in
                    try db.execute(sql: "ROLLBACK")
                }
            }
            let answers = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { await probe.problem() }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 20)
            #expect(answers.allSatisfy { $0?.contains("not free within") == true }, "\(answers)")
            #expect(checks.withLock { $0 } == 2, "twenty callers, one check in flight")

            release.continuation.finish()
            try await holder.value
            try await eventually("the lock is free again") { await probe.problem() == nil }
        }
    }
}
