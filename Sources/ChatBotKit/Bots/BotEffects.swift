import Foundation

/// What one handler run recorded: the effects the engine applies and commits if the run
/// counts.
struct BotEffects: Sendable {
    var actions: [PlannedAction] = []
    /// Timers scheduled (a request) or cancelled (`nil`), by name; the last word wins.
    var timers: [String: TimerRequest?] = [:]
    /// State written (a value) or removed (`nil`), by key; the last write wins. Values
    /// are encoded as JSON by the committer, off the sequence.
    var stateWrites: [StoredStateKey: (any Codable & Sendable)?] = [:]
    /// Values decoded from stored JSON while reading: kept, so the next read is a lookup.
    var decoded: [StoredStateKey: any Codable & Sendable] = [:]
    /// Questions for outside services, in the order asked, each with its JSON (the
    /// payload of the timer that keeps it while it is out).
    var calls: [(record: CallRecord, json: [UInt8])] = []
    /// Chats whose keys were not in memory and were read from the store for this run.
    var loadedChats: [ChatID: [StoredBotState]] = [:]
}

/// An action as a handler recorded it, with how long it stays worth sending.
struct PlannedAction: Sendable {
    var action: BotAction
    /// From the commit; `nil` for never.
    var expiresAfter: Duration?
}
