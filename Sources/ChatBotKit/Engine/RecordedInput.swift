import Foundation

/// One input of the engine's sequence, as it was handled, in a form that can be stored:
/// everything a decision depends on. Fed back in the same order to an engine over the
/// same store (``Engine/replay(_:bots:)``), a recording gives the same decisions.
public enum RecordedInput: Codable, Hashable, Sendable {
    /// An event, as received, with what the chat-details route said of its chat.
    case event(ChatEvent, receivedAt: Date, details: ChatDetails?)
    /// Time passing: timers due by then fire.
    case tick(Date)
    /// The curator directory as read.
    case directory([DirectoryEntry])
    /// Users learned as curators.
    case curators([UserID])
    /// A reload's bots, by name.
    case lineup([String])
    /// The answer to an outside call.
    case answer(bot: String, call: String, chat: ChatID?, outcome: OutsideAnswer.Outcome, at: Date)
    /// Retention: closed chats quiet since before `quietBefore` forgotten.
    case forget(at: Date, quietBefore: Date)
    /// A catch-up with what the open-chats route listed.
    case catchUp(CatchUpListing, at: Date)

    init(_ slot: InputSlot) {
        switch slot.input {
        case .event(let event, let receivedAt): self = .event(event, receivedAt: receivedAt, details: slot.details)
        case .tick(let date): self = .tick(date)
        case .directory(let entries): self = .directory(entries)
        case .curators(let curators): self = .curators(curators)
        case .lineup(let lineup): self = .lineup(lineup.members.map(\.bot.name))
        case .answer(let bot, let call, let chat, let outcome, let at): self = .answer(bot: bot, call: call, chat: chat, outcome: outcome, at: at)
        case .forget(let at, let quietBefore): self = .forget(at: at, quietBefore: quietBefore)
        case .catchUp(let listing, let at): self = .catchUp(listing, at: at)
        }
    }
}

extension Engine {
    /// Hands over one recorded input, as it was handled: for an engine made with
    /// `replaying: true`, whose own timer loop and outside calls are off (the ticks and
    /// answers are in the recording). `bots` gives a reload's bots by name.
    ///
    /// - Throws: ``EngineError/duplicateBotName(_:)``, or a reload naming a bot `bots`
    ///   does not know.
    public func replay(_ input: RecordedInput, bots: (String) -> (any Bot)? = { _ in nil }) throws {
        switch input {
        case .event(let event, let receivedAt, let details):
            enqueue(.event(event, receivedAt: receivedAt), details: .some(details))
        case .tick(let date):
            enqueue(.tick(date))
        case .directory(let entries):
            enqueue(.directory(entries))
        case .curators(let curators):
            enqueue(.curators(curators))
        case .lineup(let names):
            let lineup = try names.map { name in
                guard let bot = bots(name) else { throw EngineError.unknownBotInRecording(name) }
                return bot
            }
            try replaceBots(lineup)
        case .answer(let bot, let call, let chat, let outcome, let at):
            enqueue(.answer(bot: bot, call: call, chat: chat, outcome: outcome, at: at))
        case .forget(let at, let quietBefore):
            enqueue(.forget(at: at, quietBefore: quietBefore))
        case .catchUp(let listing, let at):
            enqueue(.catchUp(listing, at: at))
        }
    }
}
