import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// A gate an async caller waits at until the test opens it (no thread is held).
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Writes wait at a gate the test opens: a disk that is busy, then answers (or fails).
final class GatedStore: StateOnDemandStore {
    let inner = InMemoryStore()
    private let gate = AsyncGate()
    private let failure = Mutex<(any Error)?>(nil)

    /// Lets every write through from now on; with `failure`, every write fails.
    func open(failing failure: (any Error)? = nil) {
        self.failure.withLock { $0 = failure }
        gate.open()
    }

    func load() async throws -> StoreSnapshot {
        try await inner.load()
    }

    func loadWithoutChatState() async throws -> StoreSnapshot {
        try await inner.loadWithoutChatState()
    }

    func chatState(of chat: ChatID) async throws -> [StoredBotState] {
        try await inner.chatState(of: chat)
    }

    func chatStateNow(of chat: ChatID) throws -> [StoredBotState] {
        try inner.chatStateNow(of: chat)
    }

    func storedStates(bot: String) async throws -> [StoredBotState] {
        try await inner.storedStates(bot: bot)
    }

    func commit(_ commits: [Commit]) async throws {
        await gate.wait()
        if let failure = failure.withLock({ $0 }) { throw failure }
        try await inner.commit(commits)
    }

    func pendingActions(after id: Int64, limit: Int) async throws -> [OutboxEntry] {
        try await inner.pendingActions(after: id, limit: limit)
    }

    func pendingActions(of chat: ChatID, alerts: Bool, in ids: ClosedRange<Int64>, limit: Int) async throws -> [OutboxEntry] {
        try await inner.pendingActions(of: chat, alerts: alerts, in: ids, limit: limit)
    }

    func settle(_ id: Int64, as outcome: DeliveryOutcome, followUp: OutboxEntry?) async throws {
        try await inner.settle(id, as: outcome, followUp: followUp)
    }
}

/// Counts new chats in one shared key, like ``CountingBot``, and greets each chat.
struct CountingGreeter: Bot {
    let name = "counter"

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newChat(let chat) = event else { return }
        context.set(CountingBot.chats, to: (context.state(CountingBot.chats) ?? 0) + 1)
        context.send("hello", to: chat.chatID)
    }
}

let countedChats = StoredStateKey(bot: "counter", scope: .bot, name: "chats")

struct DiskFull: Error {}

/// The sequence decides on the state it holds while the disk writes behind it: it never
/// waits for a write, and nothing is in the outbox (so nothing can be delivered) before
/// its batch is written.
@Suite("The engine: commits pipelined behind a busy disk", .timeLimit(.minutes(1)))
struct EngineCommitPipelineTests {
    @Test func handlersGoOnWhileTheDiskIsBusyAndNothingIsDeliverableBeforeItIsWritten() async throws {
        let store = GatedStore()
        try await withRunningEngine(bots: [CountingGreeter()], store: store) { engine in
            for index in 0..<50 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
            }
            // Every handler ran, each on the count the one before it left, though not one
            // write has finished.
            try await eventuallyTrue { (try? await engine.state(of: "counter"))?[countedChats] == Data("50".utf8) }
            #expect(engine.statistics.eventsHandled == 50)
            #expect(store.inner.outbox.isEmpty, "nothing is deliverable before its batch is written")

            store.open()
            await engine.waitUntilIdle()
            #expect(store.inner.state(countedChats) == Data("50".utf8))
            #expect(store.inner.committedActions.count == 50)
            #expect(engine.statistics.eventsHandled == 50)
        }
    }

    @Test func aFailedWriteFailsEveryProposalAfterItAndNothingIsDeliverable() async throws {
        let store = GatedStore()
        let engine = try await Engine(bots: [CountingGreeter()], store: store, configuration: .init(serviceAccountID: "1000"), logger: quietLogger)
        let running = Task { try await engine.run() }
        for index in 0..<20 {
            engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
        }
        try await eventuallyTrue { (try? await engine.state(of: "counter"))?[countedChats] == Data("20".utf8) }
        store.open(failing: DiskFull())
        await expectFailedWithDiskFull(running)
        #expect(store.inner.outbox.isEmpty, "decisions on a lost write are never delivered")
        #expect(store.inner.state(countedChats) == nil)
    }

    /// A handler stuck when the store fails does not keep the engine from ending with
    /// the failure (its budget here is an hour): nothing waits for it.
    @Test func aFailedWriteEndsTheEngineThoughAHandlerIsStuck() async throws {
        let store = GatedStore()
        let latch = Latch()
        defer { latch.open() }
        let configuration = EngineConfiguration(serviceAccountID: "1000", handlerTimeout: .seconds(3_600))
        let engine = try await Engine(bots: [StuckBot(latch: latch)], store: store, configuration: configuration, logger: quietLogger)
        let running = Task { try await engine.run() }
        engine.submit(Events.message("1", in: "fast", from: "client-2"), receivedAt: Date())
        engine.submit(Events.message("2", in: "stuck", from: "client-1"), receivedAt: Date())
        try await eventuallyTrue { engine.statistics.eventsHandled == 2 }
        store.open(failing: DiskFull())
        await expectFailedWithDiskFull(running)
    }

    private func expectFailedWithDiskFull(_ running: Task<Void, any Error>, sourceLocation: SourceLocation = #_sourceLocation) async {
        guard case .failure(let error) = await running.result else {
            Issue.record("the engine went on past a failed write", sourceLocation: sourceLocation)
            return
        }
        #expect(error is DiskFull, "\(error)", sourceLocation: sourceLocation)
    }
}
