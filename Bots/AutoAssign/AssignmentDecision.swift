import ChatBotKit
import Foundation

/// Why a chat went to a curator, or waits: kept with the chat (the chat's state key
/// `decisions`) and logged, so "why did this chat go to Anna?" has an answer.
public struct AssignmentDecision: Sendable, Hashable, Codable {
    /// A curator who could take the chat, with their load when it was decided.
    public struct Candidate: Sendable, Hashable, Codable {
        public var curator: UserID
        public var openChats: Int
        public var capacity: Int
        public var lastAssignedAt: Date?

        public init(curator: UserID, openChats: Int, capacity: Int, lastAssignedAt: Date?) {
            self.curator = curator
            self.openChats = openChats
            self.capacity = capacity
            self.lastAssignedAt = lastAssignedAt
        }
    }

    /// A curator who could not, and why.
    public struct Exclusion: Sendable, Hashable, Codable {
        public var curator: UserID
        public var reason: String

        public init(curator: UserID, reason: String) {
            self.curator = curator
            self.reason = reason
        }
    }

    public var chatID: ChatID
    public var decidedAt: Date
    /// What made the bot decide: `new_chat`, `curator_online`, `capacity_freed`,
    /// `curator_offline` (a reassignment).
    public var trigger: String
    public var strategy: String
    public var candidates: [Candidate]
    /// Who could not take the chat, and why; the planner lists each reason's curators
    /// together, as they are stored.
    public var excluded: [Exclusion]
    /// How the pick was made among the candidates.
    public var tieBreak: String?
    /// The curator picked; `nil` when the chat waits in the queue.
    public var picked: UserID?
    /// The chat's place in the queue (1 = next), when it waits.
    public var queuePosition: Int?
    /// Candidates a kept decision leaves out (a large pool's), beyond those listed.
    public var candidatesLeftOut = 0
    /// Curators a kept decision leaves out of ``excluded``, by reason.
    public var excludedLeftOut: [String: Int] = [:]

    /// A decision as the bot records it; for tools and tests that write or compare
    /// decisions (`chatbots seed` writes one per chat).
    public init(
        chatID: ChatID, decidedAt: Date, trigger: String, strategy: String, candidates: [Candidate], excluded: [Exclusion],
        tieBreak: String? = nil, picked: UserID? = nil, queuePosition: Int? = nil
    ) {
        self.chatID = chatID
        self.decidedAt = decidedAt
        self.trigger = trigger
        self.strategy = strategy
        self.candidates = candidates
        self.excluded = excluded
        self.tieBreak = tieBreak
        self.picked = picked
        self.queuePosition = queuePosition
    }

    /// Who was excluded, grouped by reason: `offline: a, b and 12 more; at capacity (5/5): c`.
    public var exclusionSummary: String {
        Self.runs(of: Self.groupedByReason(excluded))
            .map { group in
                let more = excludedLeftOut[group.reason].map { " and \($0) more" } ?? ""
                return "\(group.reason): \(group.curators.map { "\($0)" }.joined(separator: ", "))\(more)"
            }
            .joined(separator: "; ")
    }

    /// One line for logs and `chatbots state`.
    public var summary: String {
        let pick = picked.map { "assigned to \($0)" } ?? "queued at \(queuePosition ?? 0)"
        let exclusions = exclusionSummary
        return "\(pick) (\(trigger), \(strategy)\(tieBreak.map { ", \($0)" } ?? "")); "
            + "candidates: \(candidates.map { "\($0.curator) \($0.openChats)/\($0.capacity)" }.joined(separator: ", "))"
            + (candidatesLeftOut > 0 ? " and \(candidatesLeftOut) more" : "")
            + (exclusions.isEmpty ? "" : "; excluded: \(exclusions)")
    }
}

/// A decision is kept with its chat for as long as the chat is, and written again with
/// each new one, so it is stored compactly: the candidates as a column per field
/// (`"candidateColumns": {"curator": ["a", "b"], "openChats": [3, 1], ...}`) and the
/// exclusions as runs of one reason (`"excludedBy": [{"reason": "offline", "curators":
/// ["c", "d"]}]`), instead of an object per curator. With forty curators that is half
/// the bytes (3.0 → 1.5 KB a chat in `chatbots bench`) and less of the encoder's work.
/// Everything reads back exactly, in order;
/// decisions stored before, with `"candidates"` and `"excluded"`, still read.
extension AssignmentDecision {
    private enum CodingKeys: String, CodingKey {
        case chatID, decidedAt, trigger, strategy, candidateColumns, candidates, excludedBy, excluded, tieBreak, picked, queuePosition
        case candidatesLeftOut, excludedLeftOut
    }

    /// The candidates as one array per field, in the same order.
    struct CandidateColumns: Codable {
        var curator: [UserID] = []
        var openChats: [Int] = []
        var capacity: [Int] = []
        var lastAssignedAt: [Date?] = []

        init(_ candidates: [Candidate]) {
            for candidate in candidates {
                curator.append(candidate.curator)
                openChats.append(candidate.openChats)
                capacity.append(candidate.capacity)
                lastAssignedAt.append(candidate.lastAssignedAt)
            }
        }

        /// The candidates again; `nil` if the columns differ in length.
        var rows: [Candidate]? {
            guard openChats.count == curator.count, capacity.count == curator.count, lastAssignedAt.count == curator.count else {
                return nil
            }
            return curator.indices.map { index in
                Candidate(curator: curator[index], openChats: openChats[index], capacity: capacity[index], lastAssignedAt: lastAssignedAt[index])
            }
        }
    }

    /// Curators excluded for one reason.
    struct ExclusionGroup: Codable {
        var reason: String
        var curators: [UserID]
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        chatID = try container.decode(ChatID.self, forKey: .chatID)
        decidedAt = try container.decode(Date.self, forKey: .decidedAt)
        trigger = try container.decode(String.self, forKey: .trigger)
        strategy = try container.decode(String.self, forKey: .strategy)
        if let columns = try container.decodeIfPresent(CandidateColumns.self, forKey: .candidateColumns) {
            guard let rows = columns.rows else {
                throw DecodingError.dataCorruptedError(
                    forKey: .candidateColumns, in: container, debugDescription: "the candidates' columns differ in length"
                )
            }
            candidates = rows
        } else {
            candidates = try container.decode([Candidate].self, forKey: .candidates)
        }
        if let groups = try container.decodeIfPresent([ExclusionGroup].self, forKey: .excludedBy) {
            excluded = groups.flatMap { group in group.curators.map { Exclusion(curator: $0, reason: group.reason) } }
        } else {
            excluded = try container.decodeIfPresent([Exclusion].self, forKey: .excluded) ?? []
        }
        tieBreak = try container.decodeIfPresent(String.self, forKey: .tieBreak)
        picked = try container.decodeIfPresent(UserID.self, forKey: .picked)
        queuePosition = try container.decodeIfPresent(Int.self, forKey: .queuePosition)
        candidatesLeftOut = try container.decodeIfPresent(Int.self, forKey: .candidatesLeftOut) ?? 0
        excludedLeftOut = try container.decodeIfPresent([String: Int].self, forKey: .excludedLeftOut) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(chatID, forKey: .chatID)
        try container.encode(decidedAt, forKey: .decidedAt)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(strategy, forKey: .strategy)
        try container.encode(CandidateColumns(candidates), forKey: .candidateColumns)
        try container.encode(Self.runs(of: excluded), forKey: .excludedBy)
        try container.encodeIfPresent(tieBreak, forKey: .tieBreak)
        try container.encodeIfPresent(picked, forKey: .picked)
        try container.encodeIfPresent(queuePosition, forKey: .queuePosition)
        if candidatesLeftOut > 0 { try container.encode(candidatesLeftOut, forKey: .candidatesLeftOut) }
        if !excludedLeftOut.isEmpty { try container.encode(excludedLeftOut, forKey: .excludedLeftOut) }
    }

    /// Each run of consecutive exclusions for the same reason, as one group.
    static func runs(of exclusions: [Exclusion]) -> [ExclusionGroup] {
        var groups: [ExclusionGroup] = []
        for exclusion in exclusions {
            if groups.last?.reason == exclusion.reason {
                groups[groups.count - 1].curators.append(exclusion.curator)
            } else {
                groups.append(ExclusionGroup(reason: exclusion.reason, curators: [exclusion.curator]))
            }
        }
        return groups
    }

    /// The exclusions with each reason's together, reasons in the order they first
    /// apply: how the summary reads them, and one run per reason when stored.
    static func groupedByReason(_ exclusions: [Exclusion]) -> [Exclusion] {
        var reasons: [String] = []
        var curators: [String: [UserID]] = [:]
        for exclusion in exclusions {
            if curators[exclusion.reason] == nil { reasons.append(exclusion.reason) }
            curators[exclusion.reason, default: []].append(exclusion.curator)
        }
        return reasons.flatMap { reason in curators[reason, default: []].map { Exclusion(curator: $0, reason: reason) } }
    }
}
