import AutoAssign
import ChatBotKit
import Foundation

/// Alerts when clients wait too long: for a first response, and for their messages to
/// be read. Each policy warns, then breaches, once per message, to the alert sink (a
/// webhook and the log) with the chat, the message, the time waited and the curator.
///
/// - Clocks are durable timers, one per clock at a time (the breach is scheduled when
///   the warning fires): a restart neither loses nor repeats an alert, and one
///   that came due while the runtime was down arrives on start, marked late.
/// - A message recovered after a gap (see `BotContext.isRecovered`) starts its clocks
///   from its `created_at`.
/// - A curator's reply stops the chat's clocks; a curator's read receipt stops the
///   unread clocks of the messages it covers; closing the chat stops them all.
/// - With `business_hours`, clocks count only the desk's open time.
///
/// ```swift
/// let bot = SLAAlertsBot(settings: SLAAlertsSettings(policies: [
///     SLAPolicy(kind: .unread, warning: 120, breach: 600),
/// ]))
/// ```
public struct SLAAlertsBot: Bot {
    /// The type name in config files.
    public static let type = "sla_alerts"

    public let name: String
    public let settings: SLAAlertsSettings
    private let policies: [String: SLAPolicy]

    public init(name: String = SLAAlertsBot.type, settings: SLAAlertsSettings) {
        self.name = name
        self.settings = settings
        policies = Dictionary(settings.policies.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func handle(_ event: ChatEvent, in context: BotContext) throws {
        switch event {
        case .newMessage(let message):
            guard let chat = context.world.chat(message.chatID), let record = chat.message(message.id) else { return }
            if record.senderRole == .curator || (record.senderRole == nil && context.world.role(of: message.senderID) == .curator) {
                stopClocks(in: chat.id, context: context, firstResponseMet: true) { $0.sequence < record.sequence }
            } else if record.senderRole == .client || chat.clientID == message.senderID, !context.world.isClosed(chat) {
                // A message recovered after a gap that a curator has answered since (live,
                // before the catch-up came) waits for nobody.
                if context.isRecovered, let written = record.createdAt, let answered = chat.lastCuratorMessageAt, answered > written { return }
                startClocks(in: chat, for: record, context: context)
            }
        case .readChatMessage(let receipt):
            guard context.world.role(of: receipt.readerID) == .curator,
                let mark = context.world.chat(receipt.chatID)?.readUpTo[receipt.readerID]
            else { return }
            stopClocks(in: receipt.chatID, context: context) { clock in
                policies[clock.policy]?.kind == .unread && clock.sequence <= mark
            }
        case .deleteMessage(let deletion):
            stopClocks(in: deletion.chatID, context: context) { $0.message == deletion.messageID }
        case .updateChatStatus(let change):
            guard let chat = context.world.chat(change.chatID), context.world.isClosed(chat) else { return }
            stopClocks(in: change.chatID, context: context) { _ in true }
            context.remove(ChatClocks.key(change.chatID))
        default:
            break
        }
    }

    public func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
        guard let fired = try timer.payload(ClockTimer.kind), let policy = policies[fired.policy] else { return }
        let key = ChatClocks.key(fired.chat)
        guard var clocks = context.state(key),
            let index = clocks.running.firstIndex(where: { $0.policy == fired.policy && $0.message == fired.message }),
            !clocks.running[index].alerted.contains(fired.level)
        else { return }
        let clock = clocks.running[index]
        let chat = context.world.chat(fired.chat)
        if let chat, context.world.isClosed(chat) { return }
        var alert = alert(for: fired, clock: clock, policy: policy, chat: chat, timer: timer, now: context.now)
        clocks.running[index].alerted.insert(fired.level)
        if fired.level == .breach {
            clocks.running.remove(at: index)
            if policy.kind == .firstResponse { clocks.firstResponseDone = true }
            let escalates = policy.escalateStatus != nil || policy.escalateReassign
            if escalates, let previous = clocks.escalatedAt {
                alert.details["escalated_already_at"] = .string(previous.formatted(.iso8601))
            } else if escalates {
                clocks.escalatedAt = context.now
                if let status = policy.escalateStatus {
                    context.setStatus(status, of: fired.chat)
                    alert.details["escalated_status"] = .string(status.wireValue)
                }
                if policy.escalateReassign, let chat {
                    alert.details["reassigned_to"] = reassign(chat, context: context).map { .string("\($0)") } ?? .null
                }
            }
        }
        if fired.level != .breach {
            scheduleLevel(after: fired.level, of: clock, policy: policy, chat: fired.chat, context: context)
        }
        context.alert(alert)
        context.set(key, to: clocks)
    }

    /// Moves a breached chat to another curator by the reassign rules; `nil` if nobody
    /// can take it (the chat stays where it is).
    private func reassign(_ chat: ChatRecord, context: BotContext) -> UserID? {
        let decision = settings.reassignRules.pickCurator(
            for: chat, excluding: Set([chat.curatorID].compactMap { $0 }), trigger: "sla_breach", world: context.world, now: context.now
        )
        context.logger.notice("SLA breach escalation: \(decision.kept().summary)", metadata: ["chat.id": "\(chat.id)"])
        guard let curator = decision.picked else { return nil }
        context.assign(curator, to: chat.id)
        return curator
    }

    // MARK: - Clocks

    private func startClocks(in chat: ChatRecord, for message: MessageRecord, context: BotContext) {
        let key = ChatClocks.key(chat.id)
        var clocks = context.state(key) ?? ChatClocks()
        var started = false
        // A message the runtime missed (recovered by a catch-up) has waited since it
        // was written, not since the catch-up.
        let startedAt = context.isRecovered ? min(message.createdAt ?? context.now, context.now) : context.now
        for policy in settings.policies where policy.applies(to: chat.type) {
            switch policy.kind {
            case .firstResponse:
                guard !clocks.firstResponseDone, !clocks.running.contains(where: { $0.policy == policy.name }) else { continue }
            case .unread:
                guard !clocks.running.contains(where: { $0.policy == policy.name && $0.message == message.id }) else { continue }
            }
            let clock = SLAClock(policy: policy.name, message: message.id, sequence: message.sequence, startedAt: startedAt)
            scheduleLevel(after: nil, of: clock, policy: policy, chat: chat.id, context: context)
            clocks.running.append(clock)
            started = true
        }
        if started { context.set(key, to: clocks) }
    }

    /// Schedules a clock's next level after `level` (its first, after `nil`): one timer
    /// per clock at a time, the next scheduled when one fires.
    private func scheduleLevel(
        after level: SLAPolicy.Level?, of clock: SLAClock, policy: SLAPolicy, chat: ChatID, context: BotContext
    ) {
        let levels = policy.levels
        let next = level.flatMap { level in levels.firstIndex { $0.level == level } }.map { $0 + 1 } ?? 0
        guard next < levels.count, let due = deadline(from: clock.startedAt, after: levels[next].after) else { return }
        let timer = ClockTimer(policy: policy.name, chat: chat, message: clock.message, level: levels[next].level)
        context.schedule(ClockTimer.kind, at: due, chat: chat, instance: timer.instance, payload: timer)
    }

    /// Stops the clocks that match, cancelling their timers.
    private func stopClocks(
        in chat: ChatID, context: BotContext, firstResponseMet: Bool = false, where matches: (SLAClock) -> Bool
    ) {
        let key = ChatClocks.key(chat)
        guard var clocks = context.state(key) else { return }
        let stopping = clocks.running.filter(matches)
        let settles = firstResponseMet && (!clocks.firstResponseDone || clocks.escalatedAt != nil)
        guard !stopping.isEmpty || settles else { return }
        for clock in stopping {
            // Every level not alerted yet: a store from before one timer per clock
            // may hold the breach beside the warning.
            for level in SLAPolicy.Level.allCases where !clock.alerted.contains(level) {
                let timer = ClockTimer(policy: clock.policy, chat: chat, message: clock.message, level: level)
                context.cancel(ClockTimer.kind, chat: chat, instance: timer.instance)
            }
        }
        clocks.running.removeAll(where: matches)
        if firstResponseMet {
            // A curator wrote after the client did: the first response is given, and
            // the next silence may escalate again.
            clocks.firstResponseDone = true
            clocks.escalatedAt = nil
        }
        context.set(key, to: clocks)
    }

    /// When `threshold` of (business) time has passed since `start`; `nil` if the desk
    /// never opens long enough.
    func deadline(from start: Date, after threshold: ConfigDuration) -> Date? {
        guard let hours = settings.businessHours else { return start.addingTimeInterval(threshold.timeInterval) }
        return hours.date(addingBusinessTime: threshold.timeInterval, to: start)
    }

    private func alert(
        for fired: ClockTimer, clock: SLAClock, policy: SLAPolicy, chat: ChatRecord?, timer: FiredTimer, now: Date
    ) -> Alert {
        let waited = settings.businessHours?.businessTime(from: clock.startedAt, to: now) ?? now.timeIntervalSince(clock.startedAt)
        let threshold = fired.level == .breach ? policy.breach : (policy.warning ?? policy.breach)
        let curator = chat?.curatorID
        let what = policy.kind == .firstResponse ? "no first response" : "a client message unread"
        let waitedText = ConfigDuration(seconds: Int64(waited.rounded())).description
        var details: [String: JSONValue] = [
            "policy": .string(policy.name), "kind": .string(policy.kind.rawValue), "sla_level": .string(fired.level.rawValue),
            "chat_id": .string("\(fired.chat)"), "message_id": .string("\(fired.message)"),
            "waited_seconds": .integer(Int64(waited.rounded())), "threshold_seconds": .integer(threshold.seconds),
            "started_at": .string(clock.startedAt.formatted(.iso8601)), "late": .bool(timer.isLate),
            "business_hours": .bool(settings.businessHours != nil),
        ]
        details["curator_id"] = curator.map { .string("\($0)") } ?? .null
        return Alert(
            text: "SLA \(fired.level.rawValue) (\(policy.name)) in chat \(fired.chat): \(what) for \(waitedText), "
                + "limit \(threshold); curator: \(curator.map { "\($0)" } ?? "none")",
            level: fired.level == .breach ? .critical : .warning,
            chatID: fired.chat,
            details: details
        )
    }
}
