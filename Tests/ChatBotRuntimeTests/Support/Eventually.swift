import Foundation
import Testing

/// Waits until `condition` holds, checking every 20 ms, for at most `deadline`: for
/// outcomes that arrive on their own time (an alert whose timer runs on the real clock),
/// where there is no event to wait on. The deadline is generous on purpose; a test that
/// reaches it fails, naming what it waited for.
func eventually(
    _ what: @autoclosure () -> String, within deadline: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while clock.now < end {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("gave up after \(deadline) waiting for \(what())", sourceLocation: sourceLocation)
    throw CancellationError()
}
