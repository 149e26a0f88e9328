import Testing

@testable import ChatBotRuntime

/// Runs a wait that should end, and records which one it was when it does not end
/// within `limit`: a test stuck on a wait then fails naming it, not only its time limit.
func within<Value: Sendable>(
    _ limit: Duration, _ what: @autoclosure @Sendable () -> String, sourceLocation: SourceLocation = #_sourceLocation,
    _ wait: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    do {
        return try await withDeadline(limit, wait)
    } catch is DeadlineExceeded {
        Issue.record("gave up after \(limit) waiting for \(what())", sourceLocation: sourceLocation)
        throw CancellationError()
    }
}

extension Gateway {
    /// Returns once the socket is open.
    func waitUntilConnected() async {
        await waitUntil { state, _ in if case .connected = state { true } else { false } }
    }
}
