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
    /// A catch-up, at `at`: what the listing shows the runtime missed enters the sequence
    /// here, as recovered events, before the inputs after it.
    case catchUp(CatchUpListing, at: Date)

    /// The input's time, when it has one: timers due by then fire before it. (A catch-up
    /// has none: a clock it stops, say by a read mark it recovers, must not fire first.)
    var time: Date? {
        switch self {
        case .event(_, let receivedAt): receivedAt
        case .tick(let date), .answer(_, _, _, _, let date): date
        case .directory, .curators, .lineup, .forget, .catchUp: nil
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

/// One step of the sequence: a timer come due, an event a catch-up recovered, or an
/// input itself.
enum SequenceUnit: Sendable {
    case timer(TimerKey, TimerTable.Pending, firedAt: Date, isLate: Bool, input: Int64)
    /// Handled as part of the catch-up `input`, before the input's own unit.
    case recovered(RecoveredEvent, at: Date, input: Int64)
    case input(InputSlot)

    /// The number of the input the unit belongs to.
    var input: Int64 {
        switch self {
        case .timer(_, _, _, _, let input), .recovered(_, _, let input): input
        case .input(let slot): slot.number
        }
    }

    /// The chat whose keys the unit's handlers need in memory.
    var chatID: ChatID? {
        switch self {
        case .timer(_, let pending, _, _, _): pending.request.chatID
        case .recovered(let recovered, _, _): recovered.event.chatID
        case .input(let slot):
            switch slot.input {
            case .event(let event, _): event.chatID
            case .answer(_, _, let chat, _, _): chat
            default: nil
            }
        }
    }
}
