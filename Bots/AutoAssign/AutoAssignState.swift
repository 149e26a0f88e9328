import ChatBotKit
import Foundation

/// The auto-assign bot's shared state: who waits, and what it assigned that the backend
/// has not confirmed yet. One value under one key, so concurrent chats see each other's
/// decisions (the engine reruns a handler whose read was overtaken).
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
    /// Assignments in flight, by chat: they count toward the curator's load until the
    /// backend confirms them (or for ``pendingLifetime``, if it never does).
    var pending: [ChatID: Pending] = [:]
    /// The last curator round-robin picked.
    var lastRoundRobin: UserID?

    static let key = "assignments"
    /// How long an unconfirmed assignment counts toward a load: an action that was
    /// dead-lettered must not hold a seat forever.
    static let pendingLifetime: TimeInterval = 600

    mutating func enqueue(_ chat: ChatID, at date: Date, awayFrom: UserID? = nil) -> Int {
        if let index = queue.firstIndex(where: { $0.chat == chat }) { return index + 1 }
        queue.append(Waiting(chat: chat, since: date, awayFrom: awayFrom))
        return queue.count
    }

    mutating func forget(_ chat: ChatID) {
        queue.removeAll { $0.chat == chat }
        pending.removeValue(forKey: chat)
    }

    /// Forgets assignments the backend never confirmed in time; returns their chats.
    mutating func dropExpired(at now: Date) -> [ChatID] {
        let expired = pending.filter { now.timeIntervalSince($0.value.at) >= Self.pendingLifetime }.map(\.key)
        for chat in expired { pending.removeValue(forKey: chat) }
        return expired.sorted()
    }
}
