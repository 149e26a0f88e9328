import Foundation

/// The engine's source of time: what "now" is, and how to wait for a moment.
///
/// Timers, SLA deadlines and business hours all read time through it, so tests run
/// them on a virtual clock instead of sleeping (see `ChatBotTesting.VirtualClock`).
public protocol EngineClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Waits until `deadline`; throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
}

/// The system's wall clock.
public struct SystemClock: EngineClock {
    public init() {}

    public func now() -> Date {
        Date()
    }

    public func sleep(until deadline: Date) async throws {
        // A day at a time at most: far deadlines (and any that would overflow) are
        // reached by waking now and then, which a cancellation ends anyway.
        let seconds = min(deadline.timeIntervalSinceNow, 86_400)
        if seconds > 0 {
            try await Task.sleep(for: .milliseconds(Int64((seconds * 1_000).rounded(.up))))
        }
    }
}
