/// Where the engine learns what events do not say about a new chat, before any bot
/// sees it: the runtime asks the backend's chat-details route (PROTOCOL.md Part 3).
///
/// Asked before the `new_chat` enters the engine's sequence, concurrently with other
/// inputs' preparations; inputs after it wait their turn, so keep its timeout short.
public protocol ChatDetailsSource: Sendable {
    /// The chat's topic; `nil` when it has none or the answer did not come (the source
    /// logs why: bots then see the chat without a topic).
    func topic(of chat: ChatID) async -> String?
}
