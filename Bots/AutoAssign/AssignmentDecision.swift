import ChatBotKit
import Foundation

/// Why a chat went to a curator, or waits: kept with the chat (bot state
/// `decisions.<chat id>`) and logged, so "why did this chat go to Anna?" has an answer.
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
    public var excluded: [Exclusion]
    /// How the pick was made among the candidates.
    public var tieBreak: String?
    /// The curator picked; `nil` when the chat waits in the queue.
    public var picked: UserID?
    /// The chat's place in the queue (1 = next), when it waits.
    public var queuePosition: Int?

    /// Who was excluded, grouped by reason: `offline: a, b; at capacity (5/5): c`.
    public var exclusionSummary: String {
        var order: [String] = []
        var curators: [String: [String]] = [:]
        for exclusion in excluded {
            if curators[exclusion.reason] == nil { order.append(exclusion.reason) }
            curators[exclusion.reason, default: []].append("\(exclusion.curator)")
        }
        return order.map { "\($0): \(curators[$0, default: []].joined(separator: ", "))" }.joined(separator: "; ")
    }

    /// One line for logs and `chatbots state`.
    public var summary: String {
        let pick = picked.map { "assigned to \($0)" } ?? "queued at \(queuePosition ?? 0)"
        let exclusions = exclusionSummary
        return "\(pick) (\(trigger), \(strategy)\(tieBreak.map { ", \($0)" } ?? "")); "
            + "candidates: \(candidates.map { "\($0.curator) \($0.openChats)/\($0.capacity)" }.joined(separator: ", "))"
            + (exclusions.isEmpty ? "" : "; excluded: \(exclusions)")
    }
}
