import ChatBotKit
import Foundation

/// An example of a bot written the way a user writes one: only `ChatBotKit`, its own
/// settings, state and a timer. It greets every new chat once, tags chats by keywords in
/// the client's messages, and nudges the client if nobody has written for a while.
///
/// ```yaml
/// bots:
///   - type: greeter
///     options:
///       greeting: "Hello! A curator will be with you shortly."
///       tags: {refund: [refund, return, возврат], delivery: [delivery, parcel, доставк]}
///       nudge_after: 10m
///       nudge: "Are you still there? Reply any time and we will pick it up."
/// ```
public struct GreeterBot: Bot {
    /// The type name in config files.
    public static let type = "greeter"

    /// The greeter's options.
    @Configurable
    public struct Settings: Sendable {
        public var greeting: String
        /// Tag → keywords; a client message containing a keyword (any case) tags its chat.
        public var tags: [String: [String]] = [:]
        /// Nudge the client when the chat has been quiet this long; `nil` for never.
        public var nudgeAfter: ConfigDuration?
        public var nudge: String = "Are you still there?"
    }

    public let name: String
    public let settings: Settings

    public init(name: String = GreeterBot.type, settings: Settings) {
        self.name = name
        self.settings = settings
    }

    /// Whether a chat was greeted.
    public static func greeted(_ chat: ChatID) -> StateKey<Bool> { .chat(chat, "greeted") }
    /// A chat's tags.
    public static func tags(_ chat: ChatID) -> StateKey<Set<String>> { .chat(chat, "tags") }
    /// The nudge after a quiet spell, one per chat.
    public static let nudge = TimerKind<NoPayload>("nudge")

    public func newChat(_ chat: NewChat, in context: BotContext) {
        // Backends can repeat an event after a reconnect: greet once.
        guard context.state(Self.greeted(chat.chatID)) == nil else { return }
        context.send(settings.greeting, to: chat.chatID)
        context.set(Self.greeted(chat.chatID), to: true)
    }

    public func newMessage(_ message: ChatMessage, in context: BotContext) {
        tag(message, context: context)
        if let quiet = settings.nudgeAfter {
            // Every message restarts the quiet period: the same timer is replaced.
            context.schedule(Self.nudge, after: quiet.duration, chat: message.chatID)
        }
    }

    public func chatStatusChanged(_ change: ChatStatusChange, in context: BotContext) {
        // A closed chat needs nothing more from the greeter: state that only grows is a leak.
        guard let chat = context.world.chat(change.chatID), context.world.isClosed(chat) else { return }
        context.cancel(Self.nudge, chat: change.chatID)
        context.remove(Self.greeted(change.chatID))
        context.remove(Self.tags(change.chatID))
    }

    public func timerFired(_ timer: FiredTimer, in context: BotContext) {
        guard let chatID = timer.chatID, let chat = context.world.chat(chatID), !context.world.isClosed(chat) else { return }
        // Nudge only when the client wrote last: if a curator answered, the ball is theirs.
        guard chat.messages.last?.senderRole == .client else { return }
        context.send(settings.nudge, to: chatID)
    }

    private func tag(_ message: ChatMessage, context: BotContext) {
        guard let text = message.text?.lowercased(), context.world.chat(message.chatID)?.clientID == message.senderID else { return }
        let found = settings.tags.filter { _, keywords in keywords.contains { text.contains($0.lowercased()) } }.keys
        guard !found.isEmpty else { return }
        var tags = context.state(Self.tags(message.chatID)) ?? []
        let before = tags.count
        tags.formUnion(found)
        guard tags.count > before else { return }
        context.set(Self.tags(message.chatID), to: tags)
        context.logger.info("chat tagged", metadata: ["chat.tags": "\(tags.sorted().joined(separator: ","))"])
    }
}
