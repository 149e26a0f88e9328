import ChatBotKit
import Foundation

/// The auto-assign bot's shared state: who waits, and whose turn it is. One value under
/// one bot-scoped key: every chat's decision sees the ones before it, in the engine's
/// one order. Assignments in flight have keys of their own (``InFlightAssignments``).
struct AutoAssignState: Sendable, Codable, Hashable {
    /// A chat nobody could take yet.
    struct Waiting: Sendable, Codable, Hashable {
        var chat: ChatID
        var since: Date
        /// The curator the chat is moving away from (offline too long), who still holds it.
        var awayFrom: UserID?
    }

    /// An assignment sent but not yet seen back as `assign_curator`.
    struct Pending: Sendable, Codable, Hashable {
        var curator: UserID
        var at: Date
    }

    /// Chats waiting for a curator, oldest first.
    var queue: [Waiting] = []
    /// Assignments in flight, as stores written before they had keys of their own hold
    /// them; moved to ``InFlightAssignments`` on the first read.
    var pending: [ChatID: Pending] = [:]
    /// The last curator round-robin picked.
    var lastRoundRobin: UserID?
    /// When a decision next reads every curator's assignments in flight, to find
    /// those never confirmed (``InFlightAssignments/removeExpired(at:)``).
    var nextSweep: Date?

    static let key = StateKey<AutoAssignState>.bot("assignments")
    /// How long an unconfirmed assignment counts toward a load: an action that was
    /// dead-lettered must not hold a seat forever.
    static let pendingLifetime: TimeInterval = 600
    /// How often a decision sweeps every curator's assignments for expired ones; the
    /// rest of the time it reads only those of curators who could take the chat.
    static let sweepInterval: TimeInterval = 60

    mutating func enqueue(_ chat: ChatID, at date: Date, awayFrom: UserID? = nil) -> Int {
        if let index = queue.firstIndex(where: { $0.chat == chat }) { return index + 1 }
        queue.append(Waiting(chat: chat, since: date, awayFrom: awayFrom))
        return queue.count
    }

    mutating func unqueue(_ chat: ChatID) {
        queue.removeAll { $0.chat == chat }
    }
}
