import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// Runs an engine for the duration of `body`, then finishes it.
func withEngine(
    _ bots: [any Bot],
    store: InMemoryStore = InMemoryStore(),
    clock: VirtualClock = VirtualClock(),
    configuration: EngineConfiguration = EngineConfiguration(serviceAccountID: "1000"),
    _ body: @Sendable (Engine) async throws -> Void
) async throws {
    try await withRunningEngine(bots: bots, store: store, clock: clock, configuration: configuration, body)
}

/// A list of what bots saw, that a test can wait on.
final class Journal: Sendable {
    private struct State {
        var entries: [String] = []
        var waiters: [(condition: @Sendable ([String]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func note(_ entry: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries.append(entry)
            let entries = state.entries
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition(entries) else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    var entries: [String] {
        state.withLock { $0.entries }
    }

    /// Returns once the entries satisfy `condition`.
    func wait(until condition: @escaping @Sendable ([String]) -> Bool) async {
        await withCheckedContinuation { continuation in
            let satisfied = state.withLock { state in
                if condition(state.entries) { return true }
                state.waiters.append((condition, continuation))
                return false
            }
            if satisfied { continuation.resume() }
        }
    }
}

/// A latch a synchronous handler blocks at until the test opens it, as a handler stuck
/// in slow work would. It holds the thread; it gives up after a minute, so a test that
/// fails before opening it cannot leave a thread held for good.
final class Latch: Sendable {
    private let state = Mutex(false)
    private let condition = NSCondition()

    func wait() {
        let giveUp = Date().addingTimeInterval(60)
        condition.lock()
        defer { condition.unlock() }
        while !state.withLock({ $0 }), condition.wait(until: giveUp) {}
    }

    func open() {
        condition.lock()
        state.withLock { $0 = true }
        condition.broadcast()
        condition.unlock()
    }
}

/// Event builders for engine tests.
enum Events {
    static func message(_ id: MessageID, in chat: ChatID, from sender: UserID, _ text: String = "hello") -> ChatEvent {
        .newMessage(ChatMessage(id: id, senderID: sender, chatID: chat, text: text, createdAt: nil))
    }

    static func chat(_ chat: ChatID, client: UserID) -> ChatEvent {
        .newChat(NewChat(clientID: client, chatID: chat, chatType: .order))
    }
}

/// Polls a condition that no event announces (a flood's progress, state accepted while
/// the store is busy); after a generous deadline, fails the test where it was called
/// and throws, so that nothing after it runs on a false premise.
func eventuallyTrue(sourceLocation: SourceLocation = #_sourceLocation, _ condition: @Sendable () async -> Bool) async throws {
    let end = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < end {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("condition not met within 30 s", sourceLocation: sourceLocation)
    throw CancellationError()
}
