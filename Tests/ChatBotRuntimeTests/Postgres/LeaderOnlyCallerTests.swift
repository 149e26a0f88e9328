import ChatBotKit
import Foundation
import Synchronization
import Testing

@testable import ChatBotRuntime

@Suite("Outside calls only while leading")
struct LeaderOnlyCallerTests {
    /// Counts the calls it is asked to make.
    final class CountingCaller: OutsideCaller {
        let calls = Mutex(0)

        func call(_ request: OutsideRequest) async throws -> (status: Int, body: Data) {
            calls.withLock { $0 += 1 }
            return (200, Data("{}".utf8))
        }
    }

    @Test func aRuntimeThatNoLongerLeadsCallsNothing() async throws {
        let leading = Mutex(true)
        let base = CountingCaller()
        let caller = LeaderOnlyCaller(base: base, mayCall: { leading.withLock { $0 } })
        let request = OutsideRequest(url: "http://127.0.0.1:1/classify")
        #expect(try await caller.call(request).status == 200)
        leading.withLock { $0 = false }
        await #expect(throws: LeaderOnlyCaller.NotLeading.self) { try await caller.call(request) }
        #expect(base.calls.withLock { $0 } == 1, "the refused call never reached the service")
    }
}
