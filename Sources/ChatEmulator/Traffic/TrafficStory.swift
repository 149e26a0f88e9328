import ChatBotKit
import Foundation

/// The emulator's generated traffic without a server: the same seeded story of chats
/// opened, messages, reads, presence changes and closes, as events. For benchmarks
/// and tests that drive an engine or a store directly.
///
/// ```swift
/// var story = TrafficStory(seed: 1, world: .init(clients: 2_000, curators: 40))
/// let events = story.events(10_000, from: Date(), every: .milliseconds(10))
/// ```
public struct TrafficStory: Sendable {
    private var world = BackendWorld()
    private var generator: TrafficGenerator

    public init(seed: UInt64, world size: EmulatorConfiguration.WorldSize) {
        generator = TrafficGenerator(seed: seed, world: size)
        generator.populate(&world)
    }

    /// The curators in the story's directory.
    public var curators: [UserID] {
        world.curators.keys.sorted()
    }

    /// The events of the next step that causes any, at `now`.
    public mutating func next(at now: Date) -> [ChatEvent] {
        for _ in 0..<1_000 {
            let events = generator.step(in: &world, now: now)
            if !events.isEmpty { return events }
        }
        return []
    }

    /// At least `count` events (whole steps), the steps `interval` apart from `start`.
    public mutating func events(_ count: Int, from start: Date, every interval: Duration) -> [ChatEvent] {
        var events: [ChatEvent] = []
        events.reserveCapacity(count + 4)
        var now = start
        while events.count < count {
            let step = next(at: now)
            guard !step.isEmpty else { break }
            events += step
            now = now.addingTimeInterval(interval.timeInterval)
        }
        return events
    }
}
