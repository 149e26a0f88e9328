import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import Testing

/// An outbox whose read takes until the reader is cancelled (as GRDB's reads throw
/// `CancellationError` when their task is cancelled), saying when a read begins.
final class SlowOutboxStore: Store {
    let inner = InMemoryStore()
    let reading = ChangeSignal()

    func load() async throws -> StoreSnapshot {
        try await inner.load()
    }

    func commit(_ commits: [Commit]) async throws {
        try await inner.commit(commits)
    }

    func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] {
        reading.notify()
        try await Task.sleep(for: .seconds(3_600))
        return []
    }

    func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await inner.pendingActions(of: chat, alerts: alerts, in: ids, limit: limit)
    }

    func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        try await inner.settle(id, as: outcome, followUp: followUp)
    }
}

@Suite("Stopping the delivery", .timeLimit(.minutes(1)))
struct DeliveryCancellationTests {
    /// Cancelling is how a runtime is stopped from outside (a benchmark, a test): the
    /// delivery ends without an error, whatever it was waiting on, so the runtime has
    /// no failure to report.
    @Test func cancelledWhileReadingTheOutboxItEndsWithoutAnError() async throws {
        let store = SlowOutboxStore()
        let delivery = OutboxDelivery(
            store: store, transport: AsyncHTTPTransport(), tokens: StaticTokenProvider(token: "t"),
            configuration: .init(apiBaseURL: "http://127.0.0.1:9"), logger: quietLogger
        )
        let token = store.reading.token
        let running = Task { try await delivery.run() }
        await store.reading.wait(since: token)
        running.cancel()
        let outcome = await running.result
        if case .failure(let error) = outcome {
            Issue.record("the delivery ended with \(error)")
        }
    }
}
