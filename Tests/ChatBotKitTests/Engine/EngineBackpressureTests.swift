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
        configuration.handlerTimeout = .seconds(600)   // held handlers must not time out instead
        try await withEngine([bot], configuration: configuration) { engine in
            let admitted = Mutex(0)
            let flood = Task {
                for index in 0..<30 {
                    await engine.admit(Events.chat(ChatID(Int64(index)), client: UserID(Int64(10_000 + index))), receivedAt: Date())
                    admitted.withLock { $0 += 1 }
                }
            }
            // Every handler is held: the queue fills to its bound and the flood waits.
            try await eventuallyTrue { engine.queuedWork == 5 && admitted.withLock { $0 } == 5 }
            #expect(engine.queuedWork == 5)
            #expect(admitted.withLock { $0 } == 5, "the sixth event waits for room")

            bot.release()
            await flood.value
            await engine.waitUntilIdle()
            #expect(engine.statistics.eventsHandled == 30, "nothing was dropped")
        }
    }
}
