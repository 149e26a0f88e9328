import ChatBotKit
import ChatBotTesting
import ChatEmulator
import Foundation
import GRDB
import Logging
import Testing

@testable import ChatBotRuntime

/// Settled actions leave the store after their retention periods; pending ones never do.
@Suite struct RetentionTests {
    /// Commits `count` actions for chat `c` and returns their ids, in order.
    func commitActions(_ count: Int, to store: any RuntimeStore, at now: Date, prefix: String) async throws -> [Int64] {
        var commit = Commit()
        for index in 1...count {
            commit.actions.append(
                OutboxEntry(
                    idempotencyKey: "\(prefix)-\(index)", bot: "b", action: .sendMessage(chatID: "c", text: "\(index)"),
                    createdAt: now, nextAttemptAt: now
                ))
        }
        try await store.commit([commit])
        let pending = try await store.pendingActions(after: 0, limit: 10_000)
        return pending.filter { $0.idempotencyKey.hasPrefix("\(prefix)-") }.compactMap(\.id)
    }

    @Test(arguments: StoreKind.available) func settledActionsLeaveAfterTheirPeriodsInBatchesAndArePrunedCounted(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let store = try await site.open()
            let now = Date()
            let delivered = try await commitActions(5, to: store, at: now, prefix: "delivered")
            let dead = try await commitActions(2, to: store, at: now, prefix: "dead")
            let expired = try await commitActions(1, to: store, at: now, prefix: "expired")
            _ = try await commitActions(3, to: store, at: now, prefix: "pending")
            for id in delivered { try await store.settle(id, as: .delivered) }
            for id in dead { try await store.settle(id, as: .deadLetter(reason: "HTTP 400")) }
            for id in expired { try await store.settle(id, as: .expired(reason: "too late")) }

            let clock = VirtualClock(start: now)
            let metrics = RuntimeMetrics()
            let retention = RetentionSection(
                deliveredActions: ConfigDuration(seconds: 7 * 86_400), deadLetters: ConfigDuration(seconds: 30 * 86_400), pruneBatch: 2)
            let pruner = StorePruner(store: store, retention: retention, clock: clock, logger: Logger(label: "test"), factory: metrics.factory)
            let pruned = { (what: String) in MetricsPage(metrics.exposition()).value("chatbots_pruned_total", ["what": what]) ?? 0 }

            // Within every period: nothing goes.
            clock.advance(by: .seconds(6 * 86_400))
            #expect(try await pruner.pruneOnce().values.reduce(0, +) == 0)
            #expect(try await store.summary().outboxDelivered == 5)

            // Past a week: delivered and expired go, three batches for six rows (and
            // one that finds none); dead letters and pending actions stay.
            clock.advance(by: .seconds(2 * 86_400))
            let week = try await pruner.pruneOnce()
            #expect(week[.deliveredActions] == 6)
            #expect(week[.deadLetters] == 0)
            #expect(pruned("delivered_actions") == 6)
            var summary = try await store.summary()
            #expect(summary.outboxDelivered == 0)
            #expect(summary.deadLetters == 2)
            #expect(summary.outboxPending == 3)

            // Past a month: the dead letters go too; pending actions never do.
            clock.advance(by: .seconds(30 * 86_400))
            #expect(try await pruner.pruneOnce()[.deadLetters] == 2)
            #expect(pruned("dead_letters") == 2)
            summary = try await store.summary()
            #expect(summary.deadLetters == 0)
            #expect(summary.outboxPending == 3)
            #expect(try await store.pendingActions(after: 0, limit: 10).map(\.idempotencyKey) == ["pending-1", "pending-2", "pending-3"])
        }
    }

    /// A running runtime prunes on its own: replies delivered to the emulator leave the
    /// outbox at the next pass once their (here: zero) period is over.
    @Test(.timeLimit(.minutes(2))) func aRunningRuntimePrunesWhatItDelivered() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let path = folder.appendingPathComponent("bots.sqlite").path
                let loaded = try ConfigLoader.parse(
                    emulatorRuntimeYAML(
                        port: port, store: path,
                        extra: """
                            retention: {delivered_actions: 0, prune_every: 1s}
                            bots:
                              - type: after_hours
                                options:
                                  hours: {time_zone: UTC, mode: always_closed}
                                  replies: {en: "Closed."}
                            """), file: "prune.yaml", environment: [:])
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "prune.yaml"), logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    for client in 1...3 {
                        let chat = emulator.openChat(client: UserID("client-\(client)"))
                        emulator.send(
                            rawFrame:
                                #"{"event_type": "new_message", "data": {"id": 1, "sender": "client-\#(client)", "chat_id": "\#(chat)", "text": "hi", "message_type": "text"}}"#
                        )
                    }
                    await parts.delivery.waitUntil { $0.delivered >= 3 }
                    try await eventually("the delivered replies pruned") {
                        MetricsPage(runtime.metrics.exposition()).value("chatbots_pruned_total", ["what": "delivered_actions"]) ?? 0 >= 3
                    }
                    let summary = try await parts.store.summary()
                    #expect(summary.outboxDelivered == 0)
                    #expect(summary.outboxPending == 0)
                    #expect(emulator.record.appliedActions.count >= 3, "pruned after they arrived, not instead")
                }
            }
        }
    }

    /// Closed chats quiet for `closed_chats_in_memory` leave memory with their bots'
    /// chat state and timers, are not loaded again, and their rows leave the store after
    /// `closed_chats_in_store`; an open chat, however quiet, stays; a forgotten chat
    /// that comes back starts afresh.
    @Test(arguments: StoreKind.available) func closedChatsLeaveMemoryThenTheStoreWithTheirStateAndTimers(kind: StoreKind) async throws {
        try await StoreSite.with(kind) { site in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let clock = VirtualClock(start: start)
            let metrics = RuntimeMetrics()
            let pruned: @Sendable (String) -> Double = { what in
                MetricsPage(metrics.exposition()).value("chatbots_pruned_total", ["what": what]) ?? 0
            }
            let events: [(ChatEvent, after: Duration)] = [
                (.chatOpened("a", by: "client-a"), .zero), (.message("a1", in: "a", from: "client-a"), .zero),
                (.chatOpened("b", by: "client-b"), .zero), (.message("b1", in: "b", from: "client-b"), .zero),
                (.chatOpened("c", by: "client-c"), .zero), (.message("c1", in: "c", from: "client-c"), .zero),
                (.statusChanged(of: "a", to: .closed), .seconds(60)),
                (.statusChanged(of: "b", to: .closed), .seconds(6 * 86_400)),
            ]
            try await withRunningEngine(bots: [MemoBot()], store: try await site.open(), clock: clock) { engine in
                for (event, after) in events {
                    clock.advance(by: after)
                    engine.submit(event, receivedAt: clock.now())
                }
                await engine.waitUntilIdle()
                #expect(engine.pendingTimers.count == 3)
                let store = try await site.open()
                let pruner = StorePruner(
                    store: store, retention: RetentionSection(), clock: clock, logger: Logger(label: "test"), factory: metrics.factory,
                    forgetChats: { quiet in try await engine.forgetClosedChats(quietFor: quiet) }
                )
                // A week after a closed: a goes; b (closed a day ago) and c (open) stay.
                clock.advance(by: .seconds(86_400 + 1))
                let week = try await pruner.pruneOnce()
                #expect(week[.chatsForgotten] == 1)
                #expect(Set(engine.worldModel.chats.keys) == ["b", "c"])
                #expect(engine.pendingTimers.values.compactMap(\.chatID).sorted() == ["b", "c"])
                #expect(try await engine.state(of: MemoBot.botName).keys.compactMap(\.chatID).sorted() == ["b", "c"])
                #expect(pruned("chats_forgotten") == 1)
            }
            // Not loaded again; its rows went, but the chat's own, marked forgotten.
            let snapshot = try await site.open().load()
            #expect(snapshot.chats.map(\.id).sorted() == ["b", "c"])
            #expect(snapshot.timers.compactMap(\.request.chatID).sorted() == ["b", "c"])
            #expect(snapshot.botState.compactMap(\.key.chatID).sorted() == ["b", "c"])
            #expect(try await site.open().summary().chatsForgotten == 1, "chatbots state counts it apart")
            let forgotten = try #require(try await site.open().inspect(chat: "a"), "its row stays, marked forgotten")
            #expect(forgotten.chat.messages.isEmpty && forgotten.state.isEmpty && forgotten.timers.isEmpty)

            try await withRunningEngine(bots: [MemoBot()], store: try await site.open(), clock: clock) { engine in
                let store = try await site.open()
                let pruner = StorePruner(
                    store: store, retention: RetentionSection(), clock: clock, logger: Logger(label: "test"), factory: metrics.factory,
                    forgetChats: { quiet in try await engine.forgetClosedChats(quietFor: quiet) }
                )
                // A month after a closed: its row goes; b, forgotten meanwhile, keeps its row.
                clock.advance(by: .seconds(23 * 86_400))
                let month = try await pruner.pruneOnce()
                #expect(month[.chatsForgotten] == 1, "b, closed a week ago")
                #expect(month[.chatsDeleted] == 1, "a's row")
                #expect(Set(engine.worldModel.chats.keys) == ["c"])

                // b comes back: a new record, kept again.
                engine.submit(.message("b2", in: "b", from: "client-b"), receivedAt: clock.now())
                await engine.waitUntilIdle()
                #expect(engine.worldModel.chats["b"]?.messages.map(\.id) == ["b2"])
                let seen = try await engine.state(of: MemoBot.botName)[StateKey<Int>.chat("b", "seen").stored(by: MemoBot.botName)]
                #expect(seen.map { String(decoding: $0, as: UTF8.self) } == "1", "its count starts again: nothing of before came back")
            }
            let after = try await site.open().load()
            #expect(after.chats.map(\.id).sorted() == ["b", "c"])
            #expect(after.chats.first { $0.id == "b" }?.messages.map(\.id) == ["b2"])
        }
    }

    /// A forgotten chat that comes back is picked up with what the chat-details route
    /// says of it (its client above all); without the route, the log says what the
    /// runtime could not know.
    @Test(arguments: [true, false]) func aForgottenChatThatComesBackIsPickedUpAgain(withDetails: Bool) async throws {
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        let details = DetailsTable(["a": ChatDetails(clientID: "client-a", type: .topic, status: "open", topic: "billing")])
        let logs = LogCapture()
        let configuration = EngineConfiguration(serviceAccountID: "1000", chatDetails: withDetails ? details : nil)
        try await withRunningEngine(bots: [], clock: clock, configuration: configuration, logger: logs.logger(level: .info)) { engine in
            for event: ChatEvent in [
                .chatOpened("a", by: "client-a"), .message("a1", in: "a", from: "client-a"), .statusChanged(of: "a", to: .closed),
            ] {
                engine.submit(event, receivedAt: clock.now())
            }
            await engine.waitUntilIdle()
            clock.advance(by: .seconds(8 * 86_400))
            #expect(try await engine.forgetClosedChats(quietFor: .seconds(7 * 86_400)) == 1)
            #expect(engine.worldModel.chats["a"] == nil)

            // The backend reopened it; the client writes again.
            engine.submit(.message("a2", in: "a", from: "client-a"), receivedAt: clock.now())
            await engine.waitUntilIdle()
            let chat = try #require(engine.worldModel.chats["a"])
            #expect(chat.messages.map(\.id) == ["a2"])
            let unknown = logs.lines.filter { $0.message.contains("its client is not known") }
            if withDetails {
                #expect(chat.clientID == "client-a")
                #expect(chat.topic == "billing")
                #expect(chat.status == "open")
                #expect(chat.messages.first?.senderRole == .client, "the client's message counts as the client's")
                #expect(unknown.isEmpty)
            } else {
                #expect(chat.clientID == nil)
                #expect(unknown.map { $0.metadata["chat.id"] } == ["a"])
            }
        }
    }

    @Test func theSectionHasDefaultsAndNamesWhatIsWrong() throws {
        let defaults = RetentionSection()
        #expect(defaults.deliveredActions.seconds == 7 * 86_400)
        #expect(defaults.deadLetters.seconds == 30 * 86_400)
        let base = "server: {url: \"ws://127.0.0.1:1\"}\nauth: {static_token_env: T}\nservice_account_id: 1000\n"
        let parsed = try ConfigLoader.parse(base + "retention: {delivered_actions: 2d, dead_letters: 90d}", file: "c.yaml", environment: [:])
        #expect(parsed.retention.deliveredActions.seconds == 2 * 86_400)
        #expect(parsed.retention.deadLetters.seconds == 90 * 86_400)
        for (yaml, named) in [
            ("retention: {delivered_action: 2d}", "delivered_action"),
            ("retention: {prune_batch: 0}", "prune_batch"),
            ("retention: {prune_every: 0}", "prune_every"),
            ("retention: {closed_chats_in_memory: 10d, closed_chats_in_store: 5d}", "closed_chats_in_store"),
        ] {
            #expect {
                _ = try ConfigLoader.parse(base + yaml, file: "c.yaml", environment: [:])
            } throws: { error in
                "\(error)".contains(named) && "\(error)".contains("c.yaml")
            }
        }
    }
}

/// Keeps a count per chat and a far-off timer per chat: what retention must take away.
private struct MemoBot: Bot {
    static let botName = "memo"
    let name = MemoBot.botName
    static let reminder = TimerKind<NoPayload>("reminder")

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard case .newMessage(let message) = event else { return }
        let key = StateKey<Int>.chat(message.chatID, "seen")
        context.set(key, to: (context.state(key) ?? 0) + 1)
        context.schedule(Self.reminder, after: .seconds(90 * 86_400), chat: message.chatID)
    }
}

/// Chat details from a table: what the backend's chat-details route would answer.
private struct DetailsTable: ChatDetailsSource {
    let table: [ChatID: ChatDetails]

    init(_ table: [ChatID: ChatDetails]) {
        self.table = table
    }

    func topic(of chat: ChatID) async -> String? {
        table[chat]?.topic
    }

    func details(of chat: ChatID) async -> ChatDetails? {
        table[chat]
    }
}
