/// Runs the traffic generator at a steady rate of events per second.
///
/// It wakes every 10 ms and runs the steps that came due since, so rates far above
/// 100 per second need no finer timer, and a late wake-up catches up.
struct TrafficLoop {
    let core: EmulatorCore
    let rate: Double

    func run() async throws {
        let clock = ContinuousClock()
        let tick = Duration.milliseconds(10)
        var next = clock.now
        var due = 0.0
        while !Task.isCancelled {
            next += tick
            try await clock.sleep(until: next)
            due += rate / 100
            while due >= 1 {
                due -= 1
                core.generateStep()
            }
        }
    }
}
