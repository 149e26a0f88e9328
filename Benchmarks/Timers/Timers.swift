import Benchmark
import ChatBotKit
import Foundation

/// A timer table with 100,000 timers pending, due over the next hour, as an SLA bot
/// keeps one or two per open chat.
func tableWithPending(_ count: Int, from start: Date) -> TimerTable {
    let table = TimerTable()
    var random = SystemRandomNumberGenerator()
    for index in 0..<count {
        let name = "clock.\(index)"
        table.schedule(
            TimerKey(bot: "sla", name: name),
            TimerRequest(name: name, kind: "sla", fireAt: start.addingTimeInterval(.random(in: 60..<3_600, using: &random)))
        )
    }
    return table
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock], maxDuration: .seconds(3), maxIterations: 1_000_000)
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let pending = 100_000

    let scheduling = tableWithPending(pending, from: start)
    Benchmark("schedule and cancel a timer, 100k pending") { benchmark in
        for index in benchmark.scaledIterations {
            let key = TimerKey(bot: "sla", name: "extra.\(index)")
            scheduling.schedule(key, TimerRequest(name: key.name, kind: "sla", fireAt: start.addingTimeInterval(1_800)))
            scheduling.cancel(key)
        }
    }

    let rescheduling = tableWithPending(pending, from: start)
    var round = 0
    Benchmark("reschedule a pending timer (a message restarts its clock), 100k pending") { benchmark in
        for _ in benchmark.scaledIterations {
            round += 1
            let name = "clock.\(round % pending)"
            rescheduling.schedule(
                TimerKey(bot: "sla", name: name),
                TimerRequest(name: name, kind: "sla", fireAt: start.addingTimeInterval(60 + Double(round % 3_540)))
            )
        }
    }

    // One iteration: 1,000 timers come due among 100k pending and are taken out.
    let firing = tableWithPending(pending, from: start)
    var now = start
    Benchmark("take 1,000 due timers out of 100k pending") { benchmark in
        for _ in benchmark.scaledIterations {
            for index in 0..<1_000 {
                let name = "due.\(index)"
                firing.schedule(TimerKey(bot: "sla", name: name), TimerRequest(name: name, kind: "sla", fireAt: now))
            }
            benchmark.startMeasurement()
            var taken = 0
            firing.takeDue(at: now) { _, _ in taken += 1 }
            benchmark.stopMeasurement()
            blackHole(taken)
            now = now.addingTimeInterval(0.001)
        }
    }
}
