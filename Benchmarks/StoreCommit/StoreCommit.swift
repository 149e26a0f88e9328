import Benchmark
import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Foundation

/// The world rows the engine commits for the emulator's traffic (seed 1, 2,000 clients,
/// 40 curators): each event's chat, users and messages, as ``WorldModel`` says.
func worldCommits(_ count: Int) -> [Commit] {
    var story = TrafficStory(seed: 1, world: .init(clients: 2_000, curators: 40))
    var world = WorldModel(serviceAccountID: "1000", roster: story.curators)
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    return story.events(count, from: start, every: .milliseconds(10)).enumerated().map { index, event in
        world.commit(for: world.apply(event, at: start.addingTimeInterval(Double(index) / 100)))
    }
}

/// A store in a fresh folder, and the commits to write, taken in turn.
final class CommitFeed: @unchecked Sendable {
    // One benchmark at a time touches a feed: package-benchmark runs them in turn.
    private let commits: [Commit]
    private var next = 0
    private(set) var store: SQLiteStore?

    init(_ commits: [Commit]) {
        self.commits = commits
    }

    func open() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
    }

    func take(_ count: Int) -> ArraySlice<Commit> {
        if next + count > commits.count { next = 0 }
        defer { next += count }
        return commits[next..<(next + count)]
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock], maxDuration: .seconds(5), maxIterations: 100_000)
    let commits = worldCommits(50_000)
    // One iteration commits a batch in one transaction: events/s = batches/s × its size.
    for batch in [1, 100, 1_000] {
        let feed = CommitFeed(commits)
        Benchmark(
            "commit the world rows of \(batch) events per transaction",
            closure: { benchmark in
                guard let store = feed.store else { return }
                for _ in benchmark.scaledIterations {
                    try await store.commit(Array(feed.take(batch)))
                }
            }, setup: { try feed.open() })
    }
}
