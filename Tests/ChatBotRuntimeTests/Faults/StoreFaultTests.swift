import ChatBotKit
import ChatBotTesting
import ChatEmulator
import Foundation
import GRDB
import Testing

@testable import ChatBotRuntime

/// The store side of the fault-injection suite: a write lock held by someone else, a
/// full disk, a damaged file. Nothing committed is lost, nothing half-written.
@Suite("Faults: the SQLite store", .timeLimit(.minutes(2)))
struct StoreFaultTests {
    /// A client opens a chat and writes, in raw frames.
    private static func clientWrites(_ emulator: Emulator, client: String) -> ChatID {
        let chat = emulator.openChat(client: UserID(client))
        emulator.send(
            rawFrame:
                #"{"event_type": "new_message", "data": {"id": 1, "sender": "\#(client)", "chat_id": "\#(chat)", "text": "hello", "message_type": "text"}}"#
        )
        return chat
    }

    @Test func whileAnotherProcessHoldsTheWriteLockCommitsWaitAndNothingIsLost() async throws {
        try await Emulator.withRunning { emulator, port in
            try await withTemporaryFolder { folder in
                let path = folder.appendingPathComponent("bots.sqlite").path
                let loaded = try ConfigLoader.parse(
                    emulatorRuntimeYAML(
                        port: port, store: path,
                        extra: """
                            bots:
                              - type: after_hours
                                options:
                                  hours: {time_zone: UTC, mode: always_closed}
                                  replies: {en: "Closed."}
                            """), file: "busy.yaml", environment: [:])
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "busy.yaml"), logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    let other = try await WriteLockHolder(path: path)

                    let chats = (1...10).map { Self.clientWrites(emulator, client: "client-\($0)") }
                    await parts.gateway.waitUntil { _, counters in counters.framesReceived >= 20 }
                    let status = try #require(await runtime.status())
                    #expect(!status.storeWritable, "the probe says so while the lock is held")
                    #expect(status.problems.contains { $0.hasPrefix("store not writable") })
                    #expect(emulator.record.actions.isEmpty, "nothing is delivered before it is committed")
                    // Handled in memory, not yet counted: the metric counts durable events.
                    try await eventually("the twenty events handled") { parts.engine.statistics.eventsHandled >= 20 }
                    #expect((MetricsPage(runtime.metrics.exposition()).value("chatbots_events_handled_total") ?? 0) == 0)

                    try await other.release()
                    await parts.delivery.waitUntil { $0.delivered >= 10 }
                    #expect(MetricsPage(runtime.metrics.exposition()).value("chatbots_events_handled_total") ?? 0 >= 20)
                    let replied = emulator.record.appliedActions.map(\.path)
                    for chat in chats {
                        #expect(replied.filter { $0.contains("/api/chats/\(chat)/messages") }.count == 1, "chat \(chat): one reply")
                    }
                }
            }
        }
    }

    @Test func aFullDiskStopsTheEngineWithTheReasonAndTheStoreStaysWhole() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("bots.sqlite").path
            let store = try SQLiteStore(path: path, maxPageCount: 40)
            let engine = try await Engine(bots: [WelcomeBot()], store: store, configuration: .init(serviceAccountID: "1000"), logger: quietLogger)
            let running = Task { try await engine.run() }
            let padding = String(repeating: "x", count: 2_000)
            for index in 0..<3 {
                engine.submit(
                    .newChat(.init(clientID: UserID("client-\(index)"), chatID: ChatID(Int64(index)), chatType: .order)), receivedAt: Date())
            }
            await engine.waitUntilIdle()
            for index in 3..<2_000 {
                engine.submit(
                    .newChat(.init(clientID: UserID("client-\(index)-\(padding)"), chatID: ChatID(Int64(index)), chatType: .order)),
                    receivedAt: Date())
            }
            let outcome = await running.result
            guard case .failure(let error) = outcome else {
                Issue.record("the engine went on past a full disk")
                return
            }
            #expect("\(error)".contains("full"), "\(error)")

            // What was committed is whole: the file checks out and loads.
            let reopened = try SQLiteStore(path: path)
            let check = try await reopened.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
            #expect(check == "ok")
            let snapshot = try await reopened.load()
            #expect(snapshot.chats.count >= 3, "what came before the full disk is there")
            #expect(snapshot.chats.count < 2_000)
            let pending = try await reopened.pendingActionCount()
            #expect(pending == snapshot.chats.count, "each committed chat has its welcome: world and effects went together")
        }
    }

    @Test func aDamagedStoreFileIsRefusedWithItsPathAndLeftAsItWas() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("bots.sqlite").path
            do {
                let store = try SQLiteStore(path: path)
                try await withRunningEngine(bots: [WelcomeBot()], store: store) { engine in
                    for index in 0..<50 {
                        engine.submit(
                            .newChat(.init(clientID: UserID("client-\(index)"), chatID: ChatID(Int64(index)), chatType: .order)), receivedAt: Date())
                    }
                    await engine.waitUntilIdle()
                }
                _ = try await store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            }
            // Scribble over everything after the first page.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for index in 4_096..<bytes.count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
            try bytes.write(to: URL(fileURLWithPath: path))

            let error = await #expect(throws: StoreError.self) {
                let store = try SQLiteStore(path: path)
                _ = try await store.load()
            }
            #expect(error.map { "\($0)".contains(path) } == true, "\(String(describing: error))")
            let after = try Data(contentsOf: URL(fileURLWithPath: path))
            let differing = zip(after, bytes).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            #expect(
                after == bytes,
                "left as it was: \(after.count) vs \(bytes.count) bytes, differing at \(differing.prefix(10)) (\(differing.count) in all); error: \(String(describing: error))"
            )
        }
    }
}
