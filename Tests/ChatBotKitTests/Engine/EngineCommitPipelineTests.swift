import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

/// Writes wait at a gate the test opens: a disk that is busy, then answers (or fails).
final class GatedStore: StateOnDemandStore {
    let inner = InMemoryStore()
    private let gate = Gate()
    private let failure = Mutex<(any Error)?>(nil)

    /// Lets every write through from now on; with `failure`, every write fails.
    func open(failing failure: (any Error)? = nil) {
        self.failure.withLock { $0 = failure }
        gate.open()
    }

    func load() async throws -> StoreSnapshot {
        try await inner.load()
    }

    func loadWithoutState() async throws -> StoreSnapshot {
        try await inner.loadWithoutState()
    }

    func storedState(bot: String, key: String) throws -> StoredBotState? {
        try inner.storedState(bot: bot, key: key)
    }

    func storedStates(bot: String) async throws -> [StoredBotState] {
        try await inner.storedStates(bot: bot)
    }

    func beginStateEpoch() async throws -> Int64 {
        try await inner.beginStateEpoch()
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

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard case .newChat(let chat) = event else { return }
        let count = try context.state(Int.self, for: "chats") ?? 0
        await Task.yield()
        try context.setState(count + 1, for: "chats")
        context.send("hello", to: chat.chatID)
    }
}

struct DiskFull: Error {}

/// Handlers are decided against accepted state, while the disk writes it behind them:
/// racing handlers of a shared key rerun without waiting for a write, and nothing is
/// in the outbox (so nothing can be delivered) before its batch is written.
@Suite("The engine: commits pipelined behind a busy disk", .timeLimit(.minutes(1)))
struct EngineCommitPipelineTests {
    @Test func handlersGoOnWhileTheDiskIsBusyAndNothingIsDeliverableBeforeItIsWritten() async throws {
        let store = GatedStore()
        try await withRunningEngine(bots: [CountingGreeter()], store: store) { engine in
            for index in 0..<50 {
                engine.submit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
            }
            // Every handler ran and was accepted, conflicts and reruns included, though
            // not one write has finished.
            try await eventuallyTrue { (try? await engine.state(of: "counter"))?["chats"] == Data("50".utf8) }
            #expect(engine.statistics.conflictReruns > 0, "the handlers did race")
            #expect(store.inner.outbox.isEmpty, "nothing is deliverable before its batch is written")
            #expect(engine.statistics.eventsHandled == 0, "an event counts as handled once durable")

            store.open()
            await engine.waitUntilIdle()
            #expect(store.inner.state(bot: "counter", key: "chats") == Data("50".utf8))
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
        try await eventuallyTrue { (try? await engine.state(of: "counter"))?["chats"] == Data("20".utf8) }
        store.open(failing: DiskFull())
        await expectFailedWithDiskFull(running)
        #expect(store.inner.outbox.isEmpty, "decisions on a lost write are never delivered")
        #expect(store.inner.state(bot: "counter", key: "chats") == nil)
    }

    /// A handler still awaiting something when the store fails is stopped, so the engine
    /// ends with the failure instead of waiting on it (its timeout here is an hour).
    @Test func aFailedWriteStopsTheHandlersStillRunning() async throws {
        struct SlowInOneChat: Bot {
            let name = "slow"
            let started: Gate

            func handle(_ event: ChatEvent, in context: BotContext) async throws {
                guard event.chatID == "slow" else { return }
                started.open()
                try await Task.sleep(for: .seconds(3_600))
            }
        }
        let store = GatedStore()
        let started = Gate()
        let configuration = EngineConfiguration(serviceAccountID: "1000", handlerTimeout: .seconds(3_600))
        let engine = try await Engine(bots: [SlowInOneChat(started: started)], store: store, configuration: configuration, logger: quietLogger)
        let running = Task { try await engine.run() }
        engine.submit(Events.message("1", in: "slow", from: "client-1"), receivedAt: Date())
        await started.wait()
        engine.submit(Events.message("2", in: "fast", from: "client-2"), receivedAt: Date())
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
