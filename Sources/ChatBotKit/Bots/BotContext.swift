import Foundation
import Logging
import Synchronization

/// What a bot's handler works with: the world model, its own state, a clock, a logger,
/// and the effects it records.
///
/// Effects are recorded, not performed. The engine commits them when the handler
/// returns; if it throws or times out, they are dropped.
///
/// ```swift
/// func handle(_ event: ChatEvent, in context: BotContext) async throws {
///     guard case .newMessage(let message) = event,
///           context.world.role(of: message.senderID) == .client else { return }
///     let count = (try context.state(Int.self, for: "messages.\(message.chatID)") ?? 0) + 1
///     try context.setState(count, for: "messages.\(message.chatID)")
///     if count == 1 {
///         context.schedule("nudge.\(message.chatID)", after: .seconds(300), chat: message.chatID)
///     }
/// }
/// ```
public final class BotContext: Sendable {
    /// The bot this context belongs to.
    public let botName: String
    /// The engine clock's time when the handler started.
    public let now: Date
    /// A logger carrying the bot's name, the event type and the chat id.
    public let logger: Logger
    /// The world model, as of this event.
    public let world: WorldView

    private let cache: BotStateCache
    private let effects = Mutex(BotEffects())
    /// Set when a state value could not be read back from the store: the handler's
    /// effects are then dropped even if it caught the error, since they rest on a read
    /// that never happened (a counter reset to 0 by `try?` would overwrite the count).
    private let unreadable = Mutex<(any Error)?>(nil)

    /// The expiry of actions recorded without one: the bot's ``Bot/actionExpiry``.
    private let actionExpiry: Duration?

    init(botName: String, now: Date, logger: Logger, world: WorldView, cache: BotStateCache, actionExpiry: Duration? = nil) {
        self.botName = botName
        self.actionExpiry = actionExpiry
        self.now = now
        self.logger = logger
        self.world = world
        self.cache = cache
    }

    // MARK: Actions
    //
    // Every action takes an optional `expiresAfter`: past it (counted from this
    // handler's `now`) the runtime no longer sends the action and records it as
    // expired. Without one, the bot's ``Bot/actionExpiry`` applies (a config's
    // `expires_after` sets it for any bot); without that, the action never expires.

    /// Sends a text message to a chat.
    public func send(_ text: String, to chat: ChatID, expiresAfter: Duration? = nil) {
        perform(.sendMessage(chatID: chat, text: text), expiresAfter: expiresAfter)
    }

    /// Assigns a curator to a chat.
    public func assign(_ curator: UserID, to chat: ChatID, expiresAfter: Duration? = nil) {
        perform(.assignCurator(chatID: chat, curatorID: curator), expiresAfter: expiresAfter)
    }

    /// Changes a chat's status.
    public func setStatus(_ status: ChatStatus, of chat: ChatID, expiresAfter: Duration? = nil) {
        perform(.changeStatus(chatID: chat, status: status), expiresAfter: expiresAfter)
    }

    /// Marks a chat read up to a message, as the service account.
    public func markRead(_ chat: ChatID, upTo message: MessageID, expiresAfter: Duration? = nil) {
        perform(.markRead(chatID: chat, lastMessageID: message), expiresAfter: expiresAfter)
    }

    /// Raises an alert.
    public func alert(_ alert: Alert, expiresAfter: Duration? = nil) {
        perform(.alert(alert), expiresAfter: expiresAfter)
    }

    /// Records any action.
    ///
    /// - Parameter expiresAfter: How long after ``now`` the action is still worth
    ///   sending; the bot's ``Bot/actionExpiry`` when `nil`.
    public func perform(_ action: BotAction, expiresAfter: Duration? = nil) {
        let planned = PlannedAction(action: action, expiresAfter: expiresAfter ?? actionExpiry)
        effects.withLock { $0.actions.append(planned) }
    }

    // MARK: Timers

    /// Schedules a timer; a timer of the same name is replaced.
    public func schedule(_ timer: TimerRequest) {
        effects.withLock { $0.timers[timer.name] = .some(timer) }
    }

    /// Schedules a timer `delay` from now.
    public func schedule(_ name: String, after delay: Duration, chat: ChatID? = nil, payload: JSONValue = .null) {
        schedule(TimerRequest(name: name, fireAt: now.addingTimeInterval(delay.timeInterval), chatID: chat, payload: payload))
    }

    /// Cancels a timer by name; nothing happens if there is none.
    public func cancelTimer(_ name: String) {
        effects.withLock { $0.timers[name] = .some(nil) }
    }

    // MARK: State

    /// The bot's value for `key`, including what this handler wrote; `nil` if none.
    ///
    /// Throws if the stored value does not decode as `T`. A `Sendable` type reads from
    /// the engine's decoded values (see the other overload); this one decodes every time.
    public func state<T: Decodable>(_ type: T.Type, for key: String) throws -> T? {
        guard let data = try stateRead(for: key).data else { return nil }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// The bot's value for `key`, including what this handler wrote; `nil` if none.
    ///
    /// The engine keeps a value as last decoded from its stored bytes, so reading a key
    /// no one changed since costs a lookup, not a decode. (The value a handler reads is
    /// always what the stored bytes decode to; a state type's `Codable` should round-trip
    /// and the type be a value, as every `Sendable` struct is.) Throws if the stored value
    /// does not decode as `T`.
    public func state<T: Decodable & Sendable>(_ type: T.Type, for key: String) throws -> T? {
        let read = try stateRead(for: key)
        guard let data = read.data else { return nil }
        if let decoded = read.decoded, Swift.type(of: decoded) == T.self, let value = decoded as? T {
            return value
        }
        let value = try JSONDecoder().decode(T.self, from: data)
        if let version = read.version {
            cache.remember(value, for: BotStateCache.Key(bot: botName, key: key), at: version)
        }
        return value
    }

    /// Writes the bot's value for `key`; committed with the handler's other effects.
    public func setState<T: Encodable>(_ value: T, for key: String) throws {
        let data = try JSONEncoder().encode(value)
        effects.withLock { $0.stateWrites[key] = .some(data) }
    }

    /// Removes the bot's value for `key`.
    public func removeState(for key: String) {
        effects.withLock { $0.stateWrites[key] = .some(nil) }
    }

    /// A key's bytes and decoded value as this handler sees them: its own write if it
    /// made one (to decode; no version), else the engine's, whose version is noted as read.
    /// Throws if the value had to be read back from the store and could not be.
    private func stateRead(for key: String) throws -> (data: Data?, decoded: (any Sendable)?, version: Int64?) {
        if let written = effects.withLock({ $0.stateWrites[key] }) {
            return (written, nil, nil)
        }
        let (data, version, decoded): (Data?, Int64, (any Sendable)?)
        do {
            (data, version, decoded) = try cache.read(BotStateCache.Key(bot: botName, key: key))
        } catch {
            let failure = EngineError.stateUnreadable(bot: botName, key: key, reason: "\(error)")
            unreadable.withLock { $0 = $0 ?? failure }
            throw failure
        }
        effects.withLock { effects in
            if effects.stateReads[key] == nil {
                effects.stateReads[key] = version
            }
        }
        return (data, decoded, version)
    }

    /// What the handler recorded.
    var recorded: BotEffects {
        effects.withLock { $0 }
    }

    /// Why the handler's effects cannot stand, if a state read failed.
    var stateReadFailure: (any Error)? {
        unreadable.withLock { $0 }
    }
}
