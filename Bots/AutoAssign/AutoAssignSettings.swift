import ChatBotKit
import Foundation

/// The auto-assign bot's options:
///
/// ```yaml
/// - type: auto_assign
///   options:
///     strategy: least_loaded          # least_loaded | round_robin | sticky
///     sticky_fallback: least_loaded   # how sticky picks when the last curator cannot take the chat
///     max_open_chats: 5               # a curator's capacity, unless set below
///     curators:                       # optional: per curator capacity and what they may take
///       curator-1: {max_open_chats: 8, chat_types: [order], topics: [billing]}
///     presence_grace: 2m              # offline shorter than this is a flap: nothing moves
///     reassign_offline_after: 15m     # optional: move a curator's open chats once offline this long
/// ```
@Configurable
public struct AutoAssignSettings: Sendable, ValidatedConfiguration {
    /// How a curator is picked among those who can take a chat.
    public enum Strategy: String, Sendable, Decodable, CaseIterable {
        /// Whoever has the fewest open chats; ties go to whoever waited longest since
        /// their last assignment.
        case leastLoaded = "least_loaded"
        /// Each eligible curator in turn, by id.
        case roundRobin = "round_robin"
        /// A returning client's last curator when they can take the chat; otherwise
        /// the fallback strategy.
        case sticky
    }

    /// One curator's limits.
    @Configurable
    public struct Curator: Sendable, ValidatedConfiguration {
        /// Their capacity; the bot-wide ``AutoAssignSettings/maxOpenChats`` if `nil`.
        public var maxOpenChats: Int?
        /// The chat types they may take; every type if `nil`.
        public var chatTypes: Set<ChatType>?
        /// The topics they cover; if `nil`, what the curator directory says, and every
        /// topic when it says nothing.
        public var topics: Set<String>?

        public func validate() throws {
            if let maxOpenChats, maxOpenChats < 1 { throw ConfigurationInvalid("max_open_chats", "must be at least 1 (\(maxOpenChats))") }
        }
    }

    public var strategy: Strategy = .leastLoaded
    /// What ``Strategy/sticky`` does when the client is new or their curator cannot
    /// take the chat: ``Strategy/leastLoaded`` or ``Strategy/roundRobin`` (a sticky
    /// fallback, which the file cannot give, picks as least loaded).
    public var stickyFallback: Strategy = .leastLoaded
    /// A curator's capacity: open chats at which they get no more.
    public var maxOpenChats: Int = 5
    /// Per curator limits, by curator id; listed curators are candidates even before an
    /// event names them.
    public var curators: [String: Curator] = [:]
    /// A curator offline for less than this keeps everything; nothing is moved.
    public var presenceGrace: ConfigDuration = .minutes(2)
    /// Once a curator has been offline this long (and at least ``presenceGrace``), their
    /// open chats are reassigned; `nil` leaves them where they are.
    public var reassignOfflineAfter: ConfigDuration?

    public func validate() throws {
        guard stickyFallback != .sticky else { throw ConfigurationInvalid("sticky_fallback", "must be least_loaded or round_robin") }
        guard maxOpenChats >= 1 else { throw ConfigurationInvalid("max_open_chats", "must be at least 1 (\(maxOpenChats))") }
    }

    /// The limits of a curator, if the settings list them.
    public func limits(of curator: UserID) -> Curator? {
        curators[curator.rawValue]
    }

    /// A curator's capacity.
    public func capacity(of curator: UserID) -> Int {
        limits(of: curator)?.maxOpenChats ?? maxOpenChats
    }

    /// Whether a curator may take a chat of this type (every type when unknown).
    public func mayTake(_ type: ChatType?, curator: UserID) -> Bool {
        guard let allowed = limits(of: curator)?.chatTypes, let type else { return true }
        return allowed.contains(type)
    }

    /// Whether a curator covers a chat's topic: by these options, else by the curator
    /// directory (`known`); a chat without a known topic, or a curator whose topics
    /// nobody listed, matches.
    public func covers(_ topic: String?, curator: UserID, known: Set<String>?) -> Bool {
        guard let topic, let topics = limits(of: curator)?.topics ?? known else { return true }
        return topics.contains(topic)
    }

    /// How long after going offline a curator's chats move, if they do.
    var reassignDelay: ConfigDuration? {
        reassignOfflineAfter.map { max($0, presenceGrace) }
    }
}

extension AutoAssignSettings {
    /// Picks a curator for `chat` by these rules, as the auto-assign bot would, for
    /// another bot that must move a chat (an SLA escalation). Sticky picks fall back;
    /// assignments another bot has in flight are not known here.
    ///
    /// - Parameter excluding: Curators who must not get it, such as its current one.
    public func pickCurator(
        for chat: ChatRecord, excluding: Set<UserID>, trigger: String, world: WorldView, now: Date
    ) -> AssignmentDecision {
        let planner = AssignmentPlanner(settings: self)
        return planner.decide(
            .init(chat: chat, trigger: trigger, excluding: excluding), pool: planner.curatorPool(world), world: world,
            state: AutoAssignState(), inFlight: InFlightAssignments(nil), now: now
        )
    }
}
