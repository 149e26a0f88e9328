import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

/// The action side of the fault-injection suite: answers that come too late or never
/// (the action may well have been applied). Retries carry the same `Idempotency-Key`,
/// so the backend answers them from what it stored instead of applying twice.
@Suite("Faults: action requests", .timeLimit(.minutes(2)))
struct DeliveryFaultTests {
    /// Commits one welcome per chat, then runs a delivery with this request timeout
    /// for the duration of `body`; checks that the outbox ends empty.
    private static func withDelivery(
        of chats: [ChatID], port: Int, token: String, timeout: Duration, _ body: @Sendable (OutboxDelivery) async throws -> Void
    ) async throws {
        try await withTemporaryFolder { folder in
            let store = try SQLiteStore(path: folder.appendingPathComponent("bots.sqlite").path)
            try await commitWelcomes(chats, store: store)
            let outbox = delivery(store: store, port: port, tokens: StaticTokenProvider(token: token), timeout: timeout)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await outbox.run() }
                defer { group.cancelAll() }
                try await body(outbox)
            }
            #expect(try await store.pendingActionCount() == 0)
        }
    }

    @Test func anAnswerLostAfterTheActionWasAppliedIsRetriedAndAnsweredNotAppliedTwice() async throws {
        try await Emulator.withRunning { emulator, port in
            let chat = emulator.openChat(client: "client-1")
            let token = try await emulatorToken(port: port)
            emulator.apply(FaultCommand(loseAnswers: 1))
            try await Self.withDelivery(of: [chat], port: port, token: token, timeout: .seconds(10)) { outbox in
                await outbox.waitUntil { $0.delivered == 1 }
                #expect(outbox.statistics.retried == 1, "the lost answer was retried")
            }
            let actions = emulator.record.actions
            #expect(actions.map(\.outcome) == [.applied, .replayed], "applied once; the retry got the stored answer")
            #expect(Set(actions.compactMap(\.idempotencyKey)).count == 1)
        }
    }

    @Test func anAnswerSlowerThanTheTimeoutIsRetriedAndAppliedOnce() async throws {
        try await Emulator.withRunning { emulator, port in
            let chat = emulator.openChat(client: "client-1")
            let token = try await emulatorToken(port: port)
            emulator.apply(FaultCommand(delayMilliseconds: 2_000))
            try await Self.withDelivery(of: [chat], port: port, token: token, timeout: .milliseconds(200)) { outbox in
                // Once an attempt has timed out, the backend answers quickly again.
                await outbox.waitUntil { $0.retried >= 1 }
                emulator.apply(FaultCommand(delayMilliseconds: 0))
                await outbox.waitUntil { $0.delivered == 1 }
            }
            // The slow attempts were cut off by the timeout (the backend drops a request
            // whose client went away); one that landed after the retry would have been
            // answered from the stored answer, never applied again.
            let actions = emulator.record.actions
            #expect(actions.filter { $0.outcome == .applied }.count == 1, "\(actions.map(\.outcome))")
            #expect(Set(actions.compactMap(\.idempotencyKey)).count == 1)
        }
    }
}
