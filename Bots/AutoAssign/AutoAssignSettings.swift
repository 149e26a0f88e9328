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
public struct AutoAssignSettings: Sendable, Decodable {
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
    public struct Curator: Sendable, Decodable {
        /// Their capacity; the bot-wide ``AutoAssignSettings/maxOpenChats`` if `nil`.
        public var maxOpenChats: Int?
        /// The chat types they may take; every type if `nil`.
        public var chatTypes: Set<ChatType>?
        /// The topics they cover; if `nil`, what the curator directory says, and every
        /// topic when it says nothing.
        public var topics: Set<String>?

        public init(maxOpenChats: Int? = nil, chatTypes: Set<ChatType>? = nil, topics: Set<String>? = nil) {
            self.maxOpenChats = maxOpenChats
            self.chatTypes = chatTypes
            self.topics = topics
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case topics
            case maxOpenChats = "max_open_chats"
            case chatTypes = "chat_types"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            maxOpenChats = try container.decodeIfPresent(Int.self, forKey: .maxOpenChats)
            chatTypes = try container.decodeIfPresent(Set<ChatType>.self, forKey: .chatTypes)
            topics = try container.decodeIfPresent([String].self, forKey: .topics).map(Set.init)
            if let maxOpenChats, maxOpenChats < 1 {
                throw DecodingError.dataCorruptedError(forKey: .maxOpenChats, in: container, debugDescription: "must be at least 1 (\(maxOpenChats))")
            }
        }
    }

    public var strategy: Strategy
    /// What ``Strategy/sticky`` does when the client is new or their curator cannot
    /// take the chat: ``Strategy/leastLoaded`` or ``Strategy/roundRobin``.
    public var stickyFallback: Strategy
    /// A curator's capacity: open chats at which they get no more.
    public var maxOpenChats: Int
    /// Per curator limits; listed curators are candidates even before an event names them.
    public var curators: [UserID: Curator]
    /// A curator offline for less than this keeps everything; nothing is moved.
    public var presenceGrace: ConfigDuration
    /// Once a curator has been offline this long (and at least ``presenceGrace``), their
    /// open chats are reassigned; `nil` leaves them where they are.
    public var reassignOfflineAfter: ConfigDuration?

    public init(
        strategy: Strategy = .leastLoaded, stickyFallback: Strategy = .leastLoaded, maxOpenChats: Int = 5,
        curators: [UserID: Curator] = [:], presenceGrace: ConfigDuration = 120, reassignOfflineAfter: ConfigDuration? = nil
    ) {
        self.strategy = strategy
        self.stickyFallback = stickyFallback == .sticky ? .leastLoaded : stickyFallback
        self.maxOpenChats = maxOpenChats
        self.curators = curators
        self.presenceGrace = presenceGrace
        self.reassignOfflineAfter = reassignOfflineAfter
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case strategy, curators
        case stickyFallback = "sticky_fallback"
        case maxOpenChats = "max_open_chats"
        case presenceGrace = "presence_grace"
        case reassignOfflineAfter = "reassign_offline_after"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        strategy = try container.decodeIfPresent(Strategy.self, forKey: .strategy) ?? .leastLoaded
        stickyFallback = try container.decodeIfPresent(Strategy.self, forKey: .stickyFallback) ?? .leastLoaded
        guard stickyFallback != .sticky else {
            throw DecodingError.dataCorruptedError(forKey: .stickyFallback, in: container, debugDescription: "must be least_loaded or round_robin")
        }
        maxOpenChats = try container.decodeIfPresent(Int.self, forKey: .maxOpenChats) ?? 5
        guard maxOpenChats >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .maxOpenChats, in: container, debugDescription: "must be at least 1 (\(maxOpenChats))")
        }
        let listed = try container.decodeIfPresent([String: Curator].self, forKey: .curators) ?? [:]
        curators = Dictionary(uniqueKeysWithValues: listed.map { (UserID($0.key), $0.value) })
        presenceGrace = try container.decodeIfPresent(ConfigDuration.self, forKey: .presenceGrace) ?? 120
        reassignOfflineAfter = try container.decodeIfPresent(ConfigDuration.self, forKey: .reassignOfflineAfter)
    }

    /// A curator's capacity.
    public func capacity(of curator: UserID) -> Int {
        curators[curator]?.maxOpenChats ?? maxOpenChats
    }

    /// Whether a curator may take a chat of this type (every type when unknown).
    public func mayTake(_ type: ChatType?, curator: UserID) -> Bool {
        guard let allowed = curators[curator]?.chatTypes, let type else { return true }
        return allowed.contains(type)
    }

    /// Whether a curator covers a chat's topic: by these options, else by the curator
    /// directory (`known`); a chat without a known topic, or a curator whose topics
    /// nobody listed, matches.
    public func covers(_ topic: String?, curator: UserID, known: Set<String>?) -> Bool {
        guard let topic, let topics = curators[curator]?.topics ?? known else { return true }
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
