import AfterHours
import AutoAssign
import ChatBotKit
import Foundation
import SLAAlerts

/// The bots `chatbots bench` and the benchmarks in `Benchmarks/` run: what they cost is
/// what the benchmarks measure, so both measure the same lineups.
public enum BenchBotKind: String, CaseIterable, Sendable {
    /// No bots: the world model and its commit only.
    case none
    /// One bot whose handler returns at once.
    case noop
    /// One bot that reads and writes a counter per chat on every event: one state row
    /// written per event, on top of the world model.
    case state
    /// The three built-in bots: least-loaded assignment, after-hours replies (the desk
    /// always closed, so every chat gets one), and unread and first-response SLA clocks.
    /// Curators take up to 1,000 chats: the generator opens chats far faster than it
    /// closes them, and a queue of thousands is a pathology of its own (see
    /// docs/BENCHMARKS.md), not the throughput this measures.
    case builtin

    /// The lineup, made new.
    public var bots: [any Bot] {
        get throws {
            switch self {
            case .none: []
            case .noop: [NoOpBot()]
            case .state: [ChatCounterBot()]
            case .builtin: try Self.builtInBots()
            }
        }
    }

    private static func builtInBots() throws -> [any Bot] {
        let template = try MessageTemplate("We are closed; back {next_open}.", placeholders: AfterHoursSettings.placeholders)
        return [
            AutoAssignBot(settings: AutoAssignSettings(strategy: .leastLoaded, maxOpenChats: 1_000)),
            AfterHoursBot(
                settings: AfterHoursSettings(
                    hours: BusinessCalendar(timeZone: .gmt, mode: .alwaysClosed, week: [:]), replies: ["en": template], defaultLanguage: "en"
                )),
            SLAAlertsBot(
                settings: SLAAlertsSettings(policies: [
                    SLAPolicy(kind: .firstResponse, warning: 300, breach: 900),
                    SLAPolicy(kind: .unread, warning: 600, breach: 1_800),
                ])),
        ]
    }
}

/// Sees every event and decides nothing.
struct NoOpBot: Bot {
    let name = "bench-noop"

    func handle(_ event: ChatEvent, in context: BotContext) {}
}

/// Counts the events of each chat in its state.
struct ChatCounterBot: Bot {
    let name = "bench-counter"

    func handle(_ event: ChatEvent, in context: BotContext) {
        guard let chat = event.chatID else { return }
        let key = StateKey<Int>.chat(chat, "events")
        context.set(key, to: (context.state(key) ?? 0) + 1)
    }
}
