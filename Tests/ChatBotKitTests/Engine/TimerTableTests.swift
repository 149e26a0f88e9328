import ChatBotKit
import Foundation
import Testing

@Suite("The timer table")
struct TimerTableTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func request(_ name: String, dueIn seconds: TimeInterval) -> TimerRequest {
        TimerRequest(name: name, kind: "test", fireAt: start.addingTimeInterval(seconds))
    }

    /// An SLA timer is rescheduled on every message: the stale entries that leaves in
    /// the heap must not grow without bound while the timers are far from due.
    @Test func reschedulingKeepsTheHeapBoundedAndFiresOnlyTheLatest() {
        let table = TimerTable()
        let keys = (0..<10).map { TimerKey(bot: "sla", name: "clock.\($0)") }
        for round in 0..<5_000 {
            for (index, key) in keys.enumerated() {
                table.schedule(key, request(key.name, dueIn: Double(3_600 + round * 10 + index)))
            }
        }
        #expect(table.count == 10)
        #expect(table.heapCount <= 2 * 10 + TimerTable.staleAllowance + 1)
        var fired: [String] = []
        table.takeDue(at: start.addingTimeInterval(100_000)) { key, pending in
            fired.append("\(key.name)@\(Int(pending.request.fireAt.timeIntervalSince(start)))")
        }
        #expect(fired == keys.enumerated().map { "\($0.element.name)@\(3_600 + 49_990 + $0.offset)" })
        #expect(table.count == 0)
        #expect(table.nextDue() == nil)
    }

    @Test func aRebuiltHeapStillFiresInDueOrderAndSkipsCancelled() {
        let table = TimerTable()
        var order: [(String, TimeInterval)] = []
        // Enough reschedules to force rebuilds, with times in no particular order.
        for index in 0..<3_000 {
            let seconds = Double((index * 7_919) % 3_001)
            let name = "t.\(index % 1_500)"
            table.schedule(TimerKey(bot: "b", name: name), request(name, dueIn: seconds))
        }
        for index in stride(from: 0, to: 1_500, by: 3) {
            table.cancel(TimerKey(bot: "b", name: "t.\(index)"))
        }
        table.takeDue(at: start.addingTimeInterval(4_000)) { key, pending in
            order.append((key.name, pending.request.fireAt.timeIntervalSince(start)))
        }
        #expect(order.count == 1_000)
        #expect(order.map(\.1) == order.map(\.1).sorted())
        #expect(!order.contains { Int($0.0.dropFirst(2)).map { $0 % 3 == 0 } ?? true })
        // Each name fired at its last time: the second round's.
        #expect(
            order.allSatisfy { name, seconds in
                let index = Int(name.dropFirst(2)) ?? -1
                return seconds == Double(((index + 1_500) * 7_919) % 3_001)
            })
    }
}
