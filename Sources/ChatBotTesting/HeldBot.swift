import ChatBotKit
import Synchronization

/// A bot whose handlers wait until the test releases them: for tests of what the
/// runtime does while bots are slow (queues, backpressure, shutdown).
///
/// ```swift
/// let bot = HeldBot()
/// // ... events pile up ...
/// bot.release()
/// ```
public struct HeldBot: Bot {
    public let name: String
    private let gate = Gate()

    public init(name: String = "held") {
        self.name = name
    }

    /// Lets every waiting and later handler finish.
    public func release() {
        gate.open()
    }

    public func handle(_ event: ChatEvent, in context: BotContext) async throws {
        await gate.pass()
    }

    private final class Gate: Sendable {
        private let isOpen = Mutex(false)
        private let changes = ChangeSignal()

        func open() {
            isOpen.withLock { $0 = true }
            changes.notify()
        }

        func pass() async {
            while !Task.isCancelled {
                let token = changes.token
                if isOpen.withLock({ $0 }) { return }
                await changes.wait(since: token)
            }
        }
    }
}
