import AutoAssign
import ChatBotKit
import Foundation

/// One service-level target: how long a client may wait, with a warning before the
/// breach.
///
/// ```yaml
/// - kind: first_response     # or unread
///   name: vip_first_response # optional; the kind by default (names must be unique)
///   chat_types: [order]      # optional; every type by default
///   warning: 5m
///   breach: 15m
///   escalate_status: urgent  # optional: set this chat status at breach
///   escalate_reassign: true  # optional: move the chat to another curator at breach
/// ```
@Configurable
public struct SLAPolicy: Sendable, Hashable, ValidatedConfiguration {
    /// What the clock measures.
    public enum Kind: String, Sendable, Hashable, Decodable, CaseIterable {
        /// From a client's first message in a chat until a curator writes in it.
        case firstResponse = "first_response"
        /// From each client message until a curator reads it (that message or a later
        /// one) or writes in the chat.
        case unread
    }

    /// One alert level.
    public enum Level: String, Sendable, Hashable, Codable, CaseIterable {
        case warning, breach
    }

    public var kind: Kind
    /// Keys the policy's alerts and state; the kind by default.
    @DefaultFrom("kind.rawValue") public var name: String
    /// The chat types it applies to; `nil` for every type.
    public var chatTypes: Set<ChatType>?
    public var warning: ConfigDuration?
    public var breach: ConfigDuration
    /// A status to set on the chat when it breaches (an escalation the backend shows).
    public var escalateStatus: ChatStatus?
    /// Move the chat to another curator when it breaches, by the settings'
    /// ``SLAAlertsSettings/reassignRules``.
    public var escalateReassign: Bool = false

    public func validate() throws {
        guard breach.seconds > 0 else { throw ConfigurationInvalid("breach", "must be more than 0s") }
        if let warning, warning >= breach {
            throw ConfigurationInvalid("warning", "the warning (\(warning)) must come before the breach (\(breach))")
        }
    }

    /// Whether it applies to a chat of this type (every policy applies to an unknown type).
    public func applies(to type: ChatType?) -> Bool {
        guard let chatTypes, let type else { return true }
        return chatTypes.contains(type)
    }

    /// The levels it alerts at, earliest first, with their thresholds.
    var levels: [(level: Level, after: ConfigDuration)] {
        (warning.map { [(Level.warning, $0)] } ?? []) + [(.breach, breach)]
    }
}

/// The SLA bot's options:
///
/// ```yaml
/// - type: sla_alerts
///   options:
///     policies:
///       - {kind: first_response, warning: 5m, breach: 15m}
///       - {kind: unread, warning: 2m, breach: 10m, escalate_status: urgent}
///     business_hours:                # optional: clocks count open time only
///       time_zone: Europe/Berlin
///       week: {mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00", fri: "09:00-18:00"}
///     reassign_rules:                # optional: how escalate_reassign picks (auto_assign's options)
///       strategy: least_loaded
///       max_open_chats: 5
/// ```
@Configurable
public struct SLAAlertsSettings: Sendable, ValidatedConfiguration {
    public var policies: [SLAPolicy]
    /// When set, clocks count only the desk's open time.
    public var businessHours: BusinessCalendar?
    /// How a breach with `escalate_reassign` picks the new curator: the same options
    /// and rules as the auto-assign bot (online, allowed, under capacity).
    public var reassignRules: AutoAssignSettings = AutoAssignSettings()

    public func validate() throws {
        guard !policies.isEmpty else { throw ConfigurationInvalid("policies", "give at least one policy, e.g. {kind: unread, breach: 10m}") }
        var names: Set<String> = []
        for policy in policies where !names.insert(policy.name).inserted {
            throw ConfigurationInvalid("policies", "two policies are named \"\(policy.name)\"; give one of them a name")
        }
    }
}
