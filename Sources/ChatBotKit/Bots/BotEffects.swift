import Foundation

/// What one handler run recorded: the effects the engine commits if the run counts.
struct BotEffects: Sendable {
    var actions: [PlannedAction] = []
    /// Timers scheduled (a request) or cancelled (`nil`), by name; the last word wins.
    var timers: [String: TimerRequest?] = [:]
    /// State written (data) or removed (`nil`), by key; the last write wins.
    var stateWrites: [String: Data?] = [:]
    /// The version of every state key read, as first read: if one changed before the
    /// commit, the run is stale and the handler runs again.
    var stateReads: [String: Int64] = [:]
}


/// An action as a handler recorded it, with how long it stays worth sending.
struct PlannedAction: Sendable {
    var action: BotAction
    /// From the commit; `nil` for never.
    var expiresAfter: Duration?
}
