/// A bot: it reads events and decides; the runtime acts.
///
/// A handler looks at the event, the world model and its own state, and records what
/// it wants on its ``BotContext``: messages to send, curators to assign, timers, new
/// state. Handlers are synchronous: they decide on what the engine holds in memory and
/// never wait on the outside world. When a handler returns, the engine applies its
/// effects in the order events arrived, commits them with the world update the event
/// caused, and delivers the actions once that commit is durable. A handler that throws
/// loses its own effects for that event and nothing else.
///
/// ```swift
/// struct Greeter: Bot {
///     let name = "greeter"
///     static func greeted(_ chat: ChatID) -> StateKey<Bool> { .chat(chat, "greeted") }
///
///     func newChat(_ chat: NewChat, in context: BotContext) {
///         guard context.state(Self.greeted(chat.chatID)) == nil else { return }
///         context.send("Hello! A curator will be with you shortly.", to: chat.chatID)
///         context.set(Self.greeted(chat.chatID), to: true)
///     }
/// }
/// ```
///
/// Every event and every fired timer passes through one ordered sequence, so a handler
/// sees the effects of every earlier event, of every bot, and none of a later one: the
/// same inputs give the same decisions, live or replayed.
public protocol Bot: Sendable {
    /// A stable name: it keys the bot's state and timers in the store, so renaming a
    /// bot starts it afresh.
    var name: String { get }

    /// Handles one event from the backend. The runtime's own messages never arrive here.
    ///
    /// By default it hands each kind of event to its own method below (``newChat(_:in:)``,
    /// ``newMessage(_:in:)``, ...), so a bot writes only the ones it cares about. A bot
    /// that implements this itself gets no calls to those.
    func handle(_ event: ChatEvent, in context: BotContext) throws

    /// A client opened a chat.
    func newChat(_ chat: NewChat, in context: BotContext) throws
    /// A message was written in a chat, by its client or a curator.
    func newMessage(_ message: ChatMessage, in context: BotContext) throws
    /// A message was edited.
    func messageEdited(_ message: ChatMessage, in context: BotContext) throws
    /// A message was deleted.
    func messageDeleted(_ deletion: MessageDeletion, in context: BotContext) throws
    /// Messages of a chat were read.
    func messagesRead(_ receipt: ReadReceipt, in context: BotContext) throws
    /// A curator was assigned to a chat.
    func curatorAssigned(_ assignment: CuratorAssignment, in context: BotContext) throws
    /// A chat's status changed (closed, reopened, ...).
    func chatStatusChanged(_ change: ChatStatusChange, in context: BotContext) throws
    /// A user came online or went offline.
    func userStatusChanged(_ change: UserStatusChange, in context: BotContext) throws

    /// Handles a timer this bot scheduled, when it comes due.
    func timerFired(_ timer: FiredTimer, in context: BotContext) throws

    /// Handles the answer to a question the bot asked
    /// (``BotContext/ask(_:as:chat:payload:)``), or the news that none came.
    func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws

    /// How long the bot's actions stay worth sending when a handler gives them no
    /// expiry of their own: past it, a delivery held up (by retries, a rate limit, the
    /// chat's earlier actions) records the action as expired instead of sending it late.
    /// `nil`, the default, for never. A bot's `expires_after` in the configuration file
    /// overrides it.
    var actionExpiry: Duration? { get }
}

extension Bot {
    /// Hands the event to the method for its kind; an event type this version does not
    /// know goes nowhere (a bot that wants those implements this).
    public func handle(_ event: ChatEvent, in context: BotContext) throws {
        switch event {
        case .newChat(let chat): try newChat(chat, in: context)
        case .newMessage(let message): try newMessage(message, in: context)
        case .updateMessage(let message): try messageEdited(message, in: context)
        case .deleteMessage(let deletion): try messageDeleted(deletion, in: context)
        case .readChatMessage(let receipt): try messagesRead(receipt, in: context)
        case .assignCurator(let assignment): try curatorAssigned(assignment, in: context)
        case .updateChatStatus(let change): try chatStatusChanged(change, in: context)
        case .userStatus(let change): try userStatusChanged(change, in: context)
        case .unknown: break
        }
    }

    public func newChat(_ chat: NewChat, in context: BotContext) throws {}
    public func newMessage(_ message: ChatMessage, in context: BotContext) throws {}
    public func messageEdited(_ message: ChatMessage, in context: BotContext) throws {}
    public func messageDeleted(_ deletion: MessageDeletion, in context: BotContext) throws {}
    public func messagesRead(_ receipt: ReadReceipt, in context: BotContext) throws {}
    public func curatorAssigned(_ assignment: CuratorAssignment, in context: BotContext) throws {}
    public func chatStatusChanged(_ change: ChatStatusChange, in context: BotContext) throws {}
    public func userStatusChanged(_ change: UserStatusChange, in context: BotContext) throws {}

    /// Actions never expire unless the bot or its configuration says otherwise.
    public var actionExpiry: Duration? { nil }

    /// Bots without timers need not implement this.
    public func timerFired(_ timer: FiredTimer, in context: BotContext) throws {}

    /// Bots that ask nobody need not implement this.
    public func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws {}
}
