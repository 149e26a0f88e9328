/// A bot: it reads events and decides; the runtime acts.
///
/// A handler looks at the event, the world model and its own state, and records what
/// it wants on its ``BotContext``: messages to send, curators to assign, timers, new
/// state. When it returns, the runtime commits all of that atomically with the world
/// update the event caused, and only then delivers the actions. A handler that throws
/// or runs past its timeout loses its own effects for that event and nothing else.
///
/// ```swift
/// struct Greeter: Bot {
///     let name = "greeter"
///
///     func handle(_ event: ChatEvent, in context: BotContext) async throws {
///         guard case .newChat(let chat) = event else { return }
///         context.send("Hello! A curator will be with you shortly.", to: chat.chatID)
///         try context.setState(true, for: "greeted.\(chat.chatID)")
///     }
/// }
/// ```
///
/// A handler may run more than once for one event, when it raced a handler of another
/// chat on the same state key; only the last run's effects count. So keep handlers free
/// of side effects outside the context.
public protocol Bot: Sendable {
    /// A stable name: it keys the bot's state and timers in the store, so renaming a
    /// bot starts it afresh.
    var name: String { get }

    /// Handles one event from the backend. The runtime's own messages never arrive here.
    func handle(_ event: ChatEvent, in context: BotContext) async throws

    /// Handles a timer this bot scheduled, when it comes due.
    func timerFired(_ timer: FiredTimer, in context: BotContext) async throws

    /// How long the bot's actions stay worth sending when a handler gives them no
    /// expiry of their own: past it, a delivery held up (by retries, a rate limit, the
    /// chat's earlier actions) records the action as expired instead of sending it late.
    /// `nil`, the default, for never. A bot's `expires_after` in the configuration file
    /// overrides it.
    var actionExpiry: Duration? { get }
}

extension Bot {
    /// Actions never expire unless the bot or its configuration says otherwise.
    public var actionExpiry: Duration? { nil }

    /// Bots without timers need not implement this.
    public func timerFired(_ timer: FiredTimer, in context: BotContext) async throws {}
}
