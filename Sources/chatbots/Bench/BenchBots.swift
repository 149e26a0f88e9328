import ChatBotKit

/// The bots `chatbots bench` can run: what they cost is what the benchmark measures.
enum BenchBotKind: String, CaseIterable, Sendable {
    /// No bots: the world model and its commit only.
    case none
    /// One bot whose handler returns at once.
    case noop
    /// One bot that reads and writes a counter per chat on every event: one state row
    /// written per event, on top of the world model.
    case state

    var bots: [any Bot] {
        switch self {
        case .none: []
        case .noop: [NoOpBot()]
        case .state: [ChatCounterBot()]
        }
    }
}

/// Sees every event and decides nothing.
struct NoOpBot: Bot {
    let name = "bench-noop"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {}
}

/// Counts the events of each chat in its state.
struct ChatCounterBot: Bot {
    let name = "bench-counter"

    func handle(_ event: ChatEvent, in context: BotContext) async throws {
        guard let chat = event.chatID else { return }
        let key = "events.\(chat)"
        let count = try context.state(Int.self, for: key) ?? 0
        try context.setState(count + 1, for: key)
    }
}
