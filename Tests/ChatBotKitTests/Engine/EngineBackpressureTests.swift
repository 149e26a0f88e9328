import ChatBotKit
import ChatBotTesting
import Foundation
import Synchronization
import Testing

@Suite("The engine under a flood", .timeLimit(.minutes(1)))
struct EngineBackpressureTests {
    @Test func admittingWaitsWhileTheQueueIsFullSoAFloodCannotGrowMemory() async throws {
        let bot = HeldBot()
        var configuration = EngineConfiguration(serviceAccountID: "1000")
        configuration.maxQueuedEvents = 5
        configuration.handlerTimeout = .seconds(600)  // held handlers must not time out instead
        try await withEngine([bot], configuration: configuration) { engine in
            let admitted = Mutex(0)
            let flood = Task {
                for index in 0..<30 {
                    await engine.admit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
                    admitted.withLock { $0 += 1 }
                }
            }
            // The first handler is held: five wait behind it, at the bound, and the flood
            // waits too.
            try await eventuallyTrue { bot.started == 1 && admitted.withLock { $0 } == 6 }
            #expect(engine.queuedWork == 6, "the event in hand and five waiting")
            #expect(admitted.withLock { $0 } == 6, "the seventh event waits for room")

            bot.release()
            await flood.value
            await engine.waitUntilIdle()
            #expect(engine.statistics.eventsHandled == 30, "nothing was dropped")
        }
    }
}
