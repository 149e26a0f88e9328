import Foundation
import Synchronization
import Testing
import WSClient

@testable import ChatBotRuntime

@Suite("The gateway's read buffer", .timeLimit(.minutes(1)))
struct FrameBufferTests {
    private static func text(_ count: Int, _ tag: String) -> WebSocketMessage {
        .text(tag + String(repeating: "x", count: count - tag.utf8.count))
    }

    @Test func theReaderWaitsPastTheByteBoundAndFramesComeOutInOrder() async throws {
        let buffer = FrameBuffer(capacity: 100)
        await buffer.put(Self.text(60, "a"), receivedAt: Date())
        await buffer.put(Self.text(60, "b"), receivedAt: Date())  // under 100 bytes before it: taken
        let thirdIn = Mutex(false)
        let reader = Task {
            await buffer.put(Self.text(60, "c"), receivedAt: Date())
            thirdIn.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(100))  // the stimulus: time for a wrong put to happen
        #expect(!thirdIn.withLock { $0 }, "120 bytes held: the third frame waits")
        #expect(buffer.bufferedBytes == 120)

        let first = await buffer.take()
        await reader.value
        #expect(thirdIn.withLock { $0 })
        var order: [String] = []
        if case .text(let text) = first?.message { order.append(String(text.prefix(1))) }
        buffer.close()
        while let entry = await buffer.take() {
            if case .text(let text) = entry.message { order.append(String(text.prefix(1))) }
        }
        #expect(order == ["a", "b", "c"], "closed, it still hands out what it holds, in order")
        #expect(buffer.bufferedBytes == 0)
    }

    @Test func anEmptyBufferTakesAFrameLargerThanItsBound() async {
        let buffer = FrameBuffer(capacity: 10)
        await buffer.put(Self.text(1_000, "big"), receivedAt: Date())
        #expect(buffer.bufferedBytes == 1_000)
    }
}
