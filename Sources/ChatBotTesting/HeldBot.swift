import ChatBotKit
import Foundation
import Synchronization

/// A bot whose handlers block until the test releases them: for tests of what the
/// runtime does while a handler is slow (queues, backpressure, the handler budget,
/// shutdown). A handler holds the thread it runs on, as a slow synchronous handler
/// would.
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

    /// How many handlers have started (and are held, until released).
    public var started: Int {
        gate.started
    }

    public func handle(_ event: ChatEvent, in context: BotContext) throws {
        gate.pass()
    }

    private final class Gate: Sendable {
        private let state = Mutex((isOpen: false, started: 0))
        private let condition = NSCondition()

        var started: Int {
            state.withLock { $0.started }
        }

        func open() {
            condition.lock()
            state.withLock { $0.isOpen = true }
            condition.broadcast()
            condition.unlock()
        }

        func pass() {
            condition.lock()
            defer { condition.unlock() }
            state.withLock { $0.started += 1 }
            while !state.withLock({ $0.isOpen }) {
                condition.wait()
            }
        }
    }
}
