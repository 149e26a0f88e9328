import Foundation
import Logging
import Synchronization

/// What a bot's handler works with: the world model, its own state, a clock, a logger,
/// and the effects it records.
///
/// Effects are recorded, not performed. The engine applies them when the handler
/// returns, in the order the events arrived, and delivers the actions once they are
/// durable; if the handler throws, they are dropped.
///
/// ```swift
/// static func count(_ chat: ChatID) -> StateKey<Int> { .chat(chat, "messages") }
/// static let nudge = TimerKind<NoPayload>("nudge")
///
/// func handle(_ event: ChatEvent, in context: BotContext) throws {
///     guard case .newMessage(let message) = event,
///           context.world.role(of: message.senderID) == .client else { return }
///     let count = (context.state(Self.count(message.chatID)) ?? 0) + 1
///     context.set(Self.count(message.chatID), to: count)
///     if count == 1 {
///         context.schedule(Self.nudge, after: .seconds(300), chat: message.chatID)
///     }
/// }
/// ```
public final class BotContext: Sendable {
    /// The bot this context belongs to.
    public let botName: String
    /// The time of the event (as received) or of the timer (as fired) being handled.
    public let now: Date
    /// The world model, as of this event.
    public let world: WorldView
    /// Whether the event was recovered by a catch-up after a gap rather than received
    /// live: it happened while the runtime was not reading (a message's `createdAt`
    /// says when), and ``now`` is when the catch-up ran. A bot may treat it
    /// differently: an SLA clock starts from the message's time, say.
    public let isRecovered: Bool
    /// A logger carrying the bot's name, the event type and the chat id.
    public var logger: Logger {
        madeLogger.withLock { made in
            if let made { return made }
            var logger = baseLogger
            for (key, value) in metadata { logger[metadataKey: key] = value }
            logger[metadataKey: "bot.name"] = "\(botName)"
            made = logger
            return logger
        }
    }

    private let baseLogger: Logger
    private let metadata: Logger.Metadata
    private let madeLogger = Mutex<Logger?>(nil)
    private let table: StateTable
    private let chatState: (@Sendable (ChatID) throws -> [StoredBotState])?
    private let effects = Mutex(BotEffects())
    /// Why the run's effects cannot stand, though the handler returned: a state value
    /// that could not be read or written (its effects would rest on a read that never
    /// happened, or leave out a write).
    private let failure = Mutex<(any Error)?>(nil)
    /// The expiry of actions recorded without one: the bot's ``Bot/actionExpiry``.
    private let actionExpiry: Duration?

    init(
        botName: String, now: Date, world: WorldView, state: StateTable, logger: Logger, metadata: Logger.Metadata,
        actionExpiry: Duration?, isRecovered: Bool = false, chatState: (@Sendable (ChatID) throws -> [StoredBotState])?
    ) {
        self.botName = botName
        self.isRecovered = isRecovered
        self.now = now
        self.world = world
        self.table = state
        self.baseLogger = logger
        self.metadata = metadata
        self.actionExpiry = actionExpiry
        self.chatState = chatState
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
    /// - Parameters:
    ///   - action: What the runtime is to do, once this handler's effects are committed.
    ///   - expiresAfter: How long after ``now`` the action is still worth sending; the
    ///     bot's ``Bot/actionExpiry`` when `nil`.
    public func perform(_ action: BotAction, expiresAfter: Duration? = nil) {
        let planned = PlannedAction(action: action, expiresAfter: expiresAfter ?? actionExpiry)
        effects.withLock { $0.actions.append(planned) }
    }

    // MARK: Timers

    /// Schedules a timer of `kind` at `date`; one of the same kind, chat and instance is
    /// replaced.
    ///
    /// - Parameters:
    ///   - kind: The timer's kind, which its firing is told apart by.
    ///   - date: When it fires, by the engine's clock.
    ///   - chat: The chat it is about: forgetting the chat forgets the timer.
    ///   - instance: Tells apart several timers of one kind in one chat (or in none).
    ///   - payload: What the firing carries back (``FiredTimer/payload(_:)``).
    public func schedule<Payload>(_ kind: TimerKind<Payload>, at date: Date, chat: ChatID? = nil, instance: String? = nil, payload: Payload) {
        do {
            let json = try JSONEncoder().encode(payload)
            let name = TimerRequest.name(kind: kind.name, chat: chat, instance: instance)
            let request = TimerRequest(name: name, kind: kind.name, fireAt: date, chatID: chat, payload: Array(json))
            effects.withLock { $0.timers[name] = .some(request) }
        } catch {
            fail(EngineError.stateUnwritable(bot: botName, key: "timer \(kind.name)", reason: "\(error)"))
        }
    }

    /// Schedules a timer of `kind` `delay` from ``now`` (see ``schedule(_:at:chat:instance:payload:)``).
    public func schedule<Payload>(_ kind: TimerKind<Payload>, after delay: Duration, chat: ChatID? = nil, instance: String? = nil, payload: Payload) {
        schedule(kind, at: now.addingTimeInterval(delay.timeInterval), chat: chat, instance: instance, payload: payload)
    }

    /// Schedules a timer that carries no payload.
    public func schedule(_ kind: TimerKind<NoPayload>, after delay: Duration, chat: ChatID? = nil, instance: String? = nil) {
        schedule(kind, after: delay, chat: chat, instance: instance, payload: NoPayload())
    }

    /// Cancels a timer; nothing happens if there is none.
    public func cancel<Payload>(_ kind: TimerKind<Payload>, chat: ChatID? = nil, instance: String? = nil) {
        let name = TimerRequest.name(kind: kind.name, chat: chat, instance: instance)
        effects.withLock { $0.timers[name] = .some(nil) }
    }

    // MARK: Outside calls

    /// Asks a service outside the backend, without waiting: the request is sent once
    /// this handler's effects are durable, and its answer (or the reason there is none:
    /// a failure, its timeout, a restart) arrives later at ``Bot/answerArrived(_:in:)``,
    /// in its turn among the other inputs, with `payload` to act on it.
    public func ask<Payload>(_ request: OutsideRequest, as kind: CallKind<Payload>, chat: ChatID? = nil, payload: Payload) {
        do {
            let call = CallRecord(kind: kind.name, chatID: chat, payload: try JSONEncoder().encode(payload), request: request, askedAt: now)
            let json = Array(try JSONEncoder().encode(call))
            effects.withLock { $0.calls.append((call, json)) }
        } catch {
            fail(EngineError.stateUnwritable(bot: botName, key: "call \(kind.name)", reason: "\(error)"))
        }
    }

    // MARK: State

    /// The bot's value for `key`, including what this handler wrote; `nil` if none.
    ///
    /// A value that cannot be read as `Value` (stored by an older version of the bot in
    /// another shape, say) reads as `nil`, and the handler's effects for this event are
    /// then dropped with the reason in the log: they would rest on a read that failed.
    public func state<Value>(_ key: StateKey<Value>) -> Value? {
        let stored = StoredStateKey(bot: botName, scope: key.scope, name: key.name)
        if let written = effects.withLock({ $0.stateWrites[stored] }) {
            guard let written else { return nil }
            if let value = written as? Value { return value }
            return decode(Value.self, from: Result { try JSONEncoder().encode(written) }, key: stored)
        }
        guard let entry = entry(stored) else { return nil }
        switch entry {
        case .value(let value, _):
            if let value = value as? Value { return value }
            // Read as another type than it was written as: as its JSON decodes, as it
            // would read after a restart.
            return decode(Value.self, from: Result { try JSONEncoder().encode(value) }, key: stored)
        case .stored(let data):
            return decode(Value.self, from: .success(data), key: stored)
        }
    }

    private func decode<Value: Codable & Sendable>(_ type: Value.Type, from data: Result<Data, any Error>, key: StoredStateKey) -> Value? {
        do {
            let value = try JSONDecoder().decode(Value.self, from: data.get())
            effects.withLock { $0.decoded[key] = value }
            return value
        } catch {
            fail(EngineError.stateUnreadable(bot: botName, key: "\(key)", reason: "\(error)"))
            return nil
        }
    }

    /// Writes the bot's value for `key`; applied and committed with the handler's other
    /// effects. (The committer encodes it as JSON, off the sequence, once per batch
    /// however often it was written; a value JSON cannot hold, such as a NaN, is not
    /// stored, and the log says so.)
    public func set<Value>(_ key: StateKey<Value>, to value: Value) {
        let stored = StoredStateKey(bot: botName, scope: key.scope, name: key.name)
        loadIfAway(stored)
        effects.withLock { $0.stateWrites[stored] = .some(value) }
    }

    /// Removes the bot's value for `key`.
    public func remove<Value>(_ key: StateKey<Value>) {
        let stored = StoredStateKey(bot: botName, scope: key.scope, name: key.name)
        loadIfAway(stored)
        effects.withLock { $0.stateWrites[stored] = .some(nil) }
    }

    /// A write to a chat whose keys are not in memory reads them first: the chat comes
    /// back whole, never as the one key written (its other keys would read as absent).
    private func loadIfAway(_ key: StoredStateKey) {
        guard let chat = key.chatID, !table.isResident(chat) else { return }
        _ = entry(key)
    }

    /// A key's entry as the engine holds it; for a chat whose keys are not in memory
    /// (another chat than the one handled, gone quiet), read from the store now.
    private func entry(_ key: StoredStateKey) -> StateTable.Entry? {
        guard let chat = key.chatID, !table.isResident(chat) else { return table.entry(key) }
        if let loaded = effects.withLock({ $0.loadedChats[chat] }) {
            return loaded.first { $0.key == key }?.data.map { .stored($0) }
        }
        do {
            let loaded = try chatState?(chat) ?? []
            effects.withLock { $0.loadedChats[chat] = loaded }
            return loaded.first { $0.key == key }?.data.map { .stored($0) }
        } catch {
            fail(EngineError.stateUnreadable(bot: botName, key: "\(key)", reason: "\(error)"))
            return nil
        }
    }

    private func fail(_ error: any Error) {
        failure.withLock { $0 = $0 ?? error }
    }

    /// What the handler recorded.
    var recorded: BotEffects {
        effects.withLock { $0 }
    }

    /// Why the handler's effects cannot stand, though it returned.
    var recordedFailure: (any Error)? {
        failure.withLock { $0 }
    }
}
