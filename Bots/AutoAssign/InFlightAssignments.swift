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
/// Loaded per handler; changes are written back by ``save(in:)``.
struct InFlightAssignments {
    private var byCurator: [UserID: [ChatID: Date]] = [:]
    /// Curators whose value was read (or is known to be empty) in this handler.
    private var loaded: Set<UserID> = []
    private var changedCurators: Set<UserID> = []
    /// Pointers read or changed in this handler; `nil` for a chat not in flight.
    private var pointers: [ChatID: UserID?] = [:]
    private var changedPointers: Set<ChatID> = []

    /// No assignment in flight, and nothing to load: for decisions made outside the bot.
    static let none = InFlightAssignments()

    static func curatorKey(_ curator: UserID) -> StateKey<[ChatID: Date]> {
        .user(curator, "inflight")
    }

    static func chatKey(_ chat: ChatID) -> StateKey<UserID> {
        .chat(chat, "inflight")
    }

    /// Reads the in-flight assignments of `curators` (the curator pool).
    init(loading curators: [UserID], from context: BotContext) {
        for curator in curators {
            load(curator, from: context)
        }
    }

    private init() {}

    // MARK: What the planner asks

    /// How many of `curator`'s assignments in flight are not yet among `open`, the chats
    /// the world already knows they have (an echo applied to the world, not yet here).
    func load(of curator: UserID, beyond open: Set<ChatID>) -> Int {
        byCurator[curator]?.keys.reduce(0) { $0 + (open.contains($1) ? 0 : 1) } ?? 0
    }

    /// When the bot last assigned `curator` a chat still in flight.
    func latest(of curator: UserID) -> Date? {
        byCurator[curator]?.values.max()
    }

    /// The chats in flight to `curator`.
    func chats(of curator: UserID) -> Set<ChatID> {
        Set(byCurator[curator].map { Array($0.keys) } ?? [])
    }

    /// Whether `chat` is in flight, by its pointer: to any curator, in the pool or not.
    mutating func contains(_ chat: ChatID, in context: BotContext) -> Bool {
        curator(of: chat, in: context) != nil
    }

    // MARK: Changes

    /// The curator `chat` is in flight to, if it is.
    mutating func curator(of chat: ChatID, in context: BotContext) -> UserID? {
        if let known = pointers[chat] { return known }
        let curator = context.state(Self.chatKey(chat))
        pointers[chat] = .some(curator)
        return curator
    }

    mutating func add(_ chat: ChatID, to curator: UserID, at date: Date, in context: BotContext) {
        load(curator, from: context)
        byCurator[curator, default: [:]][chat] = date
        changedCurators.insert(curator)
        pointers[chat] = .some(curator)
        changedPointers.insert(chat)
    }

    /// Takes `chat` out of flight; returns the curator it was in flight to.
    @discardableResult
    mutating func remove(_ chat: ChatID, in context: BotContext) -> UserID? {
        guard let curator = curator(of: chat, in: context) else { return nil }
        load(curator, from: context)
        remove(chat, from: curator, in: context)
        return curator
    }

    /// Takes `chat` out of `curator`'s assignments; its pointer goes only if it names
    /// that curator (a stale entry must not unpoint a newer assignment). Returns whether
    /// that took the chat out of flight.
    @discardableResult
    private mutating func remove(_ chat: ChatID, from curator: UserID, in context: BotContext) -> Bool {
        byCurator[curator]?.removeValue(forKey: chat)
        changedCurators.insert(curator)
        guard self.curator(of: chat, in: context) == curator else { return false }
        pointers[chat] = .some(nil)
        changedPointers.insert(chat)
        return true
    }

    /// Takes assignments older than the lifetime out of flight, among the curators read
    /// so far (the pool, in a handler that decides); returns the chats no longer in
    /// flight to anyone.
    mutating func removeExpired(at now: Date, in context: BotContext) -> [ChatID] {
        let expired = byCurator.flatMap { curator, chats in
            chats.filter { now.timeIntervalSince($0.value) >= AutoAssignState.pendingLifetime }.map { (chat: $0.key, curator: curator) }
        }.sorted { $0.chat < $1.chat }
        var outOfFlight: [ChatID] = []
        for entry in expired where remove(entry.chat, from: entry.curator, in: context) {
            outOfFlight.append(entry.chat)
        }
        return outOfFlight
    }

    /// Writes what changed in this handler.
    func save(in context: BotContext) {
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

    private mutating func load(_ curator: UserID, from context: BotContext) {
        guard loaded.insert(curator).inserted else { return }
        if let chats = context.state(Self.curatorKey(curator)) {
            byCurator[curator] = chats
        }
    }
}
