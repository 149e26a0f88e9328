import Foundation

/// What one handler run recorded: the effects the engine commits if the run counts.
struct BotEffects: Sendable {
    var actions: [BotAction] = []
    /// Timers scheduled (a request) or cancelled (`nil`), by name; the last word wins.
    var timers: [String: TimerRequest?] = [:]
    /// State written or removed, by key; the last write wins.
    var stateWrites: [String: StateWrite] = [:]
    /// The version of every state key read, as first read: if one changed before the
    /// commit, the run is stale and the handler runs again.
    var stateReads: [String: Int64] = [:]
}

/// One key's new value: its bytes for the store (`nil` removes the key) and, when the
/// handler wrote a `Sendable` value, the value itself, so the next reader need not
/// decode the bytes.
struct StateWrite: Sendable {
    var data: Data?
    var value: (any Sendable)?

    static let removal = StateWrite(data: nil, value: nil)
}
