import BenchBots
import Benchmark
import ChatBotKit
import ChatBotTesting
import ChatEmulator
import Foundation

/// The emulator's traffic (seed 1, 2,000 clients, 40 curators), 100 steps a second.
let story: (events: [ChatEvent], curators: [UserID], start: Date) = {
    var story = TrafficStory(seed: 1, world: .init(clients: 2_000, curators: 40))
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    return (story.events(20_000, from: start, every: .milliseconds(10)), story.curators, start)
}()

/// One iteration: a fresh engine on an in-memory store handles the 20,000 events.
func handleStory(with kind: BenchBotKind, _ benchmark: Benchmark) async throws {
    let configuration = EngineConfiguration(serviceAccountID: "1000", curatorRoster: story.curators)
    let engine = try await Engine(
        bots: try kind.bots, store: InMemoryStore(), clock: VirtualClock(start: story.start),
        configuration: configuration, logger: quietLogger
    )
    let running = Task { try await engine.run() }
    benchmark.startMeasurement()
    for (index, event) in story.events.enumerated() {
        engine.submit(event, receivedAt: story.start.addingTimeInterval(Double(index) / 140))
    }
    await engine.waitUntilIdle()
    benchmark.stopMeasurement()
    await engine.finish()
    try await running.value
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(20), maxIterations: 20)
    for kind in [BenchBotKind.none, .builtin] {
        Benchmark("engine, in-memory store, bots: \(kind.rawValue), 20,000 events") { benchmark in
            try await handleStory(with: kind, benchmark)
        }
    }
}
