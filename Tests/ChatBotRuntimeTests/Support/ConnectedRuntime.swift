import ChatBotRuntime
import Testing

/// Runs `runtime` for the duration of `body`, handing it the running parts once the
/// socket is connected; cancels the runtime afterwards.
func withConnectedRuntime<Result: Sendable>(
    _ runtime: BotRuntime, _ body: @Sendable (BotRuntime.Parts) async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await runtime.run()
            return nil
        }
        defer { group.cancelAll() }
        let parts = try #require(await runtime.waitUntilStarted())
        await parts.gateway.waitUntil { state, _ in if case .connected = state { true } else { false } }
        return try await body(parts)
    }
}
