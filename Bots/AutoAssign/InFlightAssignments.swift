import ChatBotKit
import Foundation

/// Assignments the bot sent that the backend has not echoed yet. They count toward
/// their curator's load until the echo comes (or for
/// ``AutoAssignState/pendingLifetime``, if it never does).
///
/// Kept per curator (the curator's key `inflight`: chat → when) with a pointer per chat
/// (the chat's key `inflight`: the curator), not in one shared value: a decision reads one
/// small value per curator, and a confirmation rewrites one curator's, not every
/// assignment in flight. (In one value, a burst queued ahead of the echoes made every
/// event re-encode thousands of entries.)
///
/// A curator's value is read when a question about them is first asked, so a decision
/// reads only the curators who got as far as the load check (online, allowed the chat's
/// type and topic), not the whole pool. One handler's view; changes are written back by
/// ``save()``.
final class InFlightAssignments {
    private let context: BotContext?
    private var byCurator: [UserID: [ChatID: Date]] = [:]
    /// Curators whose value was read (or is known to be empty) in this handler.
    private var loaded: Set<UserID> = []
    private var changedCurators: Set<UserID> = []
    /// Pointers read or changed in this handler; `nil` for a chat not in flight.
    private var pointers: [ChatID: UserID?] = [:]
    private var changedPointers: Set<ChatID> = []

    static func curatorKey(_ curator: UserID) -> StateKey<[ChatID: Date]> {
        .user(curator, "inflight")
    }

    static func chatKey(_ chat: ChatID) -> StateKey<UserID> {
        .chat(chat, "inflight")
    }

    /// The assignments in flight as `context`'s bot keeps them; without a context,
    /// none (for decisions made outside the bot).
    init(_ context: BotContext?) {
        self.context = context
    }

    /// Reads the values of `curators` now: a sweep for expired assignments sees them all.
    func load(_ curators: [UserID]) {
        for curator in curators { load(curator) }
    }

    // MARK: What the planner asks

    /// How many of `curator`'s assignments in flight are not yet among `open`, the chats
    /// the world already knows they have (an echo applied to the world, not yet here).
    func load(of curator: UserID, beyond open: Set<ChatID>) -> Int {
        load(curator)
        return byCurator[curator]?.keys.reduce(0) { $0 + (open.contains($1) ? 0 : 1) } ?? 0
    }

    /// When the bot last assigned `curator` a chat still in flight.
    func latest(of curator: UserID) -> Date? {
        load(curator)
        return byCurator[curator]?.values.max()
    }

    /// The chats in flight to `curator`.
    func chats(of curator: UserID) -> Set<ChatID> {
        load(curator)
        return Set(byCurator[curator].map { Array($0.keys) } ?? [])
    }

    /// Whether `chat` is in flight, by its pointer: to any curator, in the pool or not.
    func contains(_ chat: ChatID) -> Bool {
        curator(of: chat) != nil
    }

    // MARK: Changes

    /// The curator `chat` is in flight to, if it is.
    func curator(of chat: ChatID) -> UserID? {
        if let known = pointers[chat] { return known }
        let curator = context?.state(Self.chatKey(chat))
        pointers[chat] = .some(curator)
        return curator
    }

    func add(_ chat: ChatID, to curator: UserID, at date: Date) {
        load(curator)
        byCurator[curator, default: [:]][chat] = date
        changedCurators.insert(curator)
        pointers[chat] = .some(curator)
        changedPointers.insert(chat)
    }

    /// Takes `chat` out of flight; returns the curator it was in flight to.
    @discardableResult
    func remove(_ chat: ChatID) -> UserID? {
        guard let curator = curator(of: chat) else { return nil }
        load(curator)
        remove(chat, from: curator)
        return curator
    }

    /// Takes `chat` out of `curator`'s assignments; its pointer goes only if it names
    /// that curator (a stale entry must not unpoint a newer assignment). Returns whether
    /// that took the chat out of flight.
    @discardableResult
    private func remove(_ chat: ChatID, from curator: UserID) -> Bool {
        byCurator[curator]?.removeValue(forKey: chat)
        changedCurators.insert(curator)
        guard self.curator(of: chat) == curator else { return false }
        pointers[chat] = .some(nil)
        changedPointers.insert(chat)
        return true
    }

    /// Takes assignments older than the lifetime out of flight, among the curators read
    /// so far (all of them in a sweep, see ``load(_:)``); returns the chats no longer in
    /// flight to anyone.
    func removeExpired(at now: Date) -> [ChatID] {
        let expired = byCurator.flatMap { curator, chats in
            chats.filter { now.timeIntervalSince($0.value) >= AutoAssignState.pendingLifetime }.map { (chat: $0.key, curator: curator) }
        }.sorted { $0.chat < $1.chat }
        var outOfFlight: [ChatID] = []
        for entry in expired where remove(entry.chat, from: entry.curator) {
            outOfFlight.append(entry.chat)
        }
        return outOfFlight
    }

    /// Writes what changed in this handler.
    func save() {
        guard let context else { return }
        for curator in changedCurators {
            if let chats = byCurator[curator], !chats.isEmpty {
                context.set(Self.curatorKey(curator), to: chats)
            } else {
                context.remove(Self.curatorKey(curator))
            }
        }
        for chat in changedPointers {
            if let curator = pointers[chat] ?? nil {
                context.set(Self.chatKey(chat), to: curator)
            } else {
                context.remove(Self.chatKey(chat))
            }
        }
    }

    private func load(_ curator: UserID) {
        guard loaded.insert(curator).inserted else { return }
        if let chats = context?.state(Self.curatorKey(curator)) {
            byCurator[curator] = chats
        }
    }
}
