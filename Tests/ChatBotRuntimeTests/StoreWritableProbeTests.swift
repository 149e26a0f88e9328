import Foundation
import Synchronization
import Testing

@testable import ChatBotRuntime

/// `/ready`'s store check against a real SQLite file whose write lock a second process
/// holds.
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

            let other = try await WriteLockHolder(path: path)
            let answers = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { await probe.problem() }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 20)
            #expect(answers.allSatisfy { $0?.contains("not free within") == true }, "\(answers)")
            #expect(checks.withLock { $0 } == 2, "twenty callers, one check in flight")

            try await other.release()
            try await eventually("the lock is free again") { await probe.problem() == nil }
        }
    }
}
