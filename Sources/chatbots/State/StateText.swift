import AutoAssign
import ChatBotKit
import ChatBotRuntime
import Foundation

/// The human-readable forms of `chatbots state`.
enum StateText {
    static func summary(_ summary: StoreSummary, store: String) -> String {
        let statuses = summary.chatsByStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let waiting =
            summary.waitingChats.prefix(10).map { "\($0)" }.joined(separator: ", ")
            + (summary.waitingChats.count > 10 ? ", …" : "")
        return """
            store \(store)
              chats:            \(summary.chatsByStatus.values.reduce(0, +)) (\(statuses.isEmpty ? "none" : statuses))\(summary.chatsForgotten > 0 ? "; \(summary.chatsForgotten) closed and forgotten" : "")
              without curator:  \(summary.waitingChats.count)\(waiting.isEmpty ? "" : " — \(waiting)")
              curators:         \(summary.curatorsKnown) known, \(summary.curatorsOnline.count) online\(summary.curatorsOnline.isEmpty ? "" : " — \(summary.curatorsOnline.map { "\($0)" }.joined(separator: ", "))")
              timers pending:   \(summary.pendingTimers)\(summary.nextTimerDue.map { ", next due \(time($0))" } ?? "")
              outbox:           \(summary.outboxPending) waiting, \(summary.outboxDelivered) delivered, \(summary.deadLetters) dead letters
            """ + (summary.lease.map { "\n  leader:           " + lease($0) } ?? "")
    }

    /// Who leads under which term, and how long the lease has left.
    static func lease(_ lease: LeaseState) -> String {
        guard let holder = lease.holder, let left = lease.expiresIn, left > 0 else {
            return lease.term == 0 ? "none yet" : "none (term \(lease.term) ended; the next runtime to look takes over)"
        }
        let renewed = lease.renewedAgo.map { String(format: ", renewed %.1f s ago", $0) } ?? ""
        return "\(holder), term \(lease.term), lease runs out in \(String(format: "%.1f", left)) s\(renewed)"
    }

    static func chat(_ inspection: ChatInspection) -> String {
        let chat = inspection.chat
        var lines = [
            "chat \(chat.id)",
            "  client:   \(chat.clientID.map { "\($0)" } ?? "not known")    type: \(chat.type?.wireValue ?? "not known")    topic: \(chat.topic ?? "not known")",
            "  status:   \(chat.status?.wireValue ?? "open")    curator: \(chat.curatorID.map { "\($0)" } ?? "none")    opened: \(chat.openedAt.map(time) ?? "not seen")",
            "  messages: \(chat.messageCount) seen" + (chat.messages.count < chat.messageCount ? ", the last \(chat.messages.count) kept:" : ":"),
        ]
        for message in chat.messages {
            let readers = chat.readUpTo.filter { $0.value >= message.sequence && $0.key != message.senderID }.keys.map { "\($0)" }.sorted()
            lines.append(
                "    #\(message.sequence) \(time(message.receivedAt))  \(message.id) from \(message.senderID) (\(message.senderRole?.rawValue ?? "role not known"), \(message.messageType.wireValue))"
                    + (readers.isEmpty ? "" : "  read by \(readers.joined(separator: ", "))")
            )
        }
        let isDecisions = { (entry: ChatInspection.StateEntry) in entry.key == "chat:\(chat.id):decisions" }
        let decisions = inspection.state.filter(isDecisions).flatMap { assignmentDecisions($0.value) }
        if !decisions.isEmpty {
            lines.append("  assignment decisions:")
            lines += decisions.map { "    \(time($0.decidedAt))  \($0.summary)" }
        }
        let other = inspection.state.filter { !isDecisions($0) }
        if !other.isEmpty {
            lines.append("  bot state:")
            lines += other.map { "    \($0.bot) \($0.key) = \(compact($0.value))" }
        }
        lines.append("  timers:" + (inspection.timers.isEmpty ? " none" : ""))
        lines += inspection.timers.map { "    \($0.bot) \($0.name) due \(time($0.fireAt))" }
        lines.append("  actions:" + (inspection.actions.isEmpty ? " none" : ""))
        lines += inspection.actions.map { entry in
            "    #\(entry.id) \(time(entry.createdAt))  \(entry.bot): \(describe(entry.action))  → \(entry.status)"
                + (entry.attempts > 1 ? " after \(entry.attempts) attempts" : "")
                + (entry.lastError.map { " (\($0))" } ?? "")
        }
        return lines.joined(separator: "\n")
    }

    static func deadLetters(_ letters: [DeadLetter]) -> String {
        guard !letters.isEmpty else { return "no dead letters" }
        let dead = letters.filter { !$0.expired }
        let expired = letters.filter(\.expired)
        var lines =
            dead.isEmpty
            ? []
            : ["\(dead.count) dead letters (re-queue with --requeue ID or --requeue-all):"]
                + dead.map { letter in
                    "  #\(letter.id) \(letter.settledAt.map(time) ?? "")  \(letter.bot): \(describe(letter.action)) after \(letter.attempts) attempts — \(letter.reason)"
                }
        if !expired.isEmpty {
            lines +=
                ["\(expired.count) expired unsent (stale, not re-queued):"]
                + expired.map { letter in
                    "  #\(letter.id) \(letter.settledAt.map(time) ?? "")  \(letter.bot): \(describe(letter.action)) — \(letter.reason)"
                }
        }
        return lines.joined(separator: "\n")
    }

    /// One action in words. Message text is shown only by `--json`: it can hold a
    /// client's personal data, and logs never carry it either.
    static func describe(_ action: BotAction) -> String {
        switch action {
        case .sendMessage(let chat, let text): "send a message to chat \(chat) (\(text.count) characters)"
        case .assignCurator(let chat, let curator): "assign \(curator) to chat \(chat)"
        case .changeStatus(let chat, let status): "set chat \(chat) to \(status.wireValue)"
        case .markRead(let chat, let message): "mark chat \(chat) read up to \(message)"
        case .alert(let alert): "alert (\(alert.level.rawValue)): \(alert.text)"
        }
    }

    private static func assignmentDecisions(_ value: JSONValue) -> [AssignmentDecision] {
        guard let data = try? JSONEncoder().encode(value) else { return [] }
        return (try? JSONDecoder().decode([AssignmentDecision].self, from: data)) ?? []
    }

    private static func compact(_ value: JSONValue) -> String {
        guard let data = try? JSONEncoder().encode(value) else { return "?" }
        let text = String(decoding: data, as: UTF8.self)
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }

    static func time(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
