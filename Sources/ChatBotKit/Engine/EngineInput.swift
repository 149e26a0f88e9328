import Foundation

/// What enters the engine's sequence, in the order it is handed over. Everything a
/// decision depends on is one of these, so the same inputs give the same decisions.
enum EngineInput: Sendable {
    /// An event from the backend, received at that time.
    case event(ChatEvent, receivedAt: Date)
    /// Time passing: timers due by then fire.
    case tick(Date)
    /// The backend's curator directory.
    case directory([DirectoryEntry])
    /// Users known to be curators (a roster grown by a reload).
    case curators([UserID])
    /// New bots, for a configuration reload.
    case lineup(BotLineup)
    /// What became of a bot's outside call (named by its timer), at that time.
    case answer(bot: String, call: String, chat: ChatID?, outcome: OutsideAnswer.Outcome, at: Date)
    /// Retention, at `at`: closed chats quiet since before `quietBefore` leave memory,
    /// with their bots' state and timers.
    case forget(at: Date, quietBefore: Date)

    /// The input's time, when it has one: timers due by then fire before it.
    var time: Date? {
        switch self {
        case .event(_, let receivedAt): receivedAt
        case .tick(let date), .answer(_, _, _, _, let date): date
        case .directory, .curators, .lineup, .forget: nil
        }
    }
}

/// An input in the queue, numbered in the order it was handed over. It enters the
/// sequence once ready: what it needs from outside (a new chat's topic, a chat's state
/// from the store) is fetched before, never inside.
struct InputSlot: Sendable {
    let number: Int64
    let input: EngineInput
    var isReady: Bool
    /// The chat-details source's answer: for a new chat, or a chat the world did not know.
    var details: ChatDetails?
}

/// One step of the sequence: a timer come due, or an input itself.
enum SequenceUnit: Sendable {
    case timer(TimerKey, TimerTable.Pending, firedAt: Date, isLate: Bool, input: Int64)
    case input(InputSlot)

    /// The chat whose keys the unit's handlers need in memory.
    var chatID: ChatID? {
        switch self {
        case .timer(_, let pending, _, _, _): pending.request.chatID
        case .input(let slot):
            switch slot.input {
            case .event(let event, _): event.chatID
            case .answer(_, _, let chat, _, _): chat
            default: nil
            }
        }
    }
}
