import ChatBotKit
import Foundation

/// Answers clients who write outside business hours: once per chat per closed period,
/// in the client's language, saying when the desk opens again.
///
/// - A client's message outside hours gets the reply, unless the chat already had one
///   since the desk closed, or a curator wrote in it within ``AfterHoursSettings/curatorQuietPeriod``.
/// - A chat opened outside hours gets it after ``AfterHoursSettings/newChatDelay``, if
///   the client has not written by then (their first message picks the language).
/// - Curators' messages and the runtime's own never trigger it.
///
/// ```swift
/// let bot = AfterHoursBot(settings: AfterHoursSettings(
///     hours: try BusinessCalendar(timeZone: "Europe/Berlin", week: [.monday: "09:00-18:00"]),
///     replies: ["en": try MessageTemplate("Back {next_open}.", placeholders: AfterHoursSettings.placeholders)],
///     defaultLanguage: "en"
/// ))
/// ```
public struct AfterHoursBot: Bot {
    /// The type name in config files.
    public static let type = "after_hours"

    public let name: String
    /// "We are closed" is stale once the desk may have opened: replies not sent within
    /// 15 minutes are recorded as expired, not sent late (`expires_after` in the bot's
    /// configuration changes it).
    public var actionExpiry: Duration? { .seconds(15 * 60) }
    public let settings: AfterHoursSettings
    private let languages: ReplyLanguage

    public init(name: String = AfterHoursBot.type, settings: AfterHoursSettings) {
        self.name = name
        self.settings = settings
        languages = ReplyLanguage(available: Set(settings.replies.keys), defaultLanguage: settings.defaultLanguage)
    }

    public func handle(_ event: ChatEvent, in context: BotContext) throws {
        switch event {
        case .newChat(let opened):
            guard settings.replyOnNewChat, !settings.hours.isOpen(at: context.now) else { return }
            context.schedule(Self.newChatTimer, after: settings.newChatDelay.duration, chat: opened.chatID)
        case .newMessage(let message):
            guard isFromClient(message, in: context.world) else { return }
            context.cancel(Self.newChatTimer, chat: message.chatID)
            replyIfClosed(in: message.chatID, language: languages.language(for: message.text), context: context)
        case .updateChatStatus(let change):
            guard let chat = context.world.chat(change.chatID), context.world.isClosed(chat) else { return }
            context.cancel(Self.newChatTimer, chat: change.chatID)
            context.remove(Self.replied(change.chatID))
        default:
            break
        }
    }

    public func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
        guard timer.is(Self.newChatTimer), let chat = timer.chatID else { return }
        replyIfClosed(in: chat, language: settings.defaultLanguage, context: context)
    }

    // MARK: - Deciding

    private func replyIfClosed(in chatID: ChatID, language: String, context: BotContext) {
        let now = context.now
        guard !settings.hours.isOpen(at: now) else { return }
        if let chat = context.world.chat(chatID) {
            if context.world.isClosed(chat) { return }
            if let curatorWrote = chat.lastCuratorMessageAt, now.timeIntervalSince(curatorWrote) < settings.curatorQuietPeriod.timeInterval {
                context.logger.debug("after-hours reply skipped: a curator wrote recently", metadata: ["curator.wrote_at": "\(curatorWrote)"])
                return
            }
        }
        // The next opening names the closed period we are in: one reply per chat per period.
        let reopening = settings.hours.openPeriod(atOrAfter: now)?.start
        let period = reopening.map { $0.timeIntervalSince1970 } ?? -1
        if context.state(Self.replied(chatID)) == period { return }
        guard let template = settings.replies[language] ?? settings.replies[settings.defaultLanguage] else { return }
        context.send(template.render(placeholderValues(reopening: reopening, language: language)), to: chatID)
        context.set(Self.replied(chatID), to: period)
        context.logger.info(
            "after-hours reply",
            metadata: [
                "reply.language": "\(language)", "hours.reopen_at": "\(reopening.map { "\($0)" } ?? "not within a year")",
            ])
    }

    private func isFromClient(_ message: ChatMessage, in world: WorldView) -> Bool {
        if world.chat(message.chatID)?.clientID == message.senderID { return true }
        return world.role(of: message.senderID) == .client
    }

    /// The values of ``AfterHoursSettings/placeholders``, in the business zone and the
    /// reply's language.
    func placeholderValues(reopening: Date?, language: String) -> [String: String] {
        let zone = settings.hours.timeZone
        var values = ["time_zone": zone.identifier]
        guard let reopening else {
            for name in ["next_open", "next_open_date", "next_open_time"] { values[name] = "—" }
            return values
        }
        func format(_ pattern: String, locale: Locale = Locale(identifier: "en_US_POSIX")) -> String {
            let formatter = DateFormatter()
            formatter.locale = locale
            formatter.timeZone = zone
            formatter.dateFormat = pattern
            return formatter.string(from: reopening)
        }
        values["next_open"] = format("EEEE HH:mm", locale: Locale(identifier: language))
        values["next_open_date"] = format("yyyy-MM-dd")
        values["next_open_time"] = format("HH:mm")
        return values
    }

    /// The reply to a chat opened outside hours, if the client has not written by then.
    static let newChatTimer = TimerKind<NoPayload>("new_chat")

    /// The closed period (its reopening, in seconds since 1970; -1 for none within a
    /// year) a chat was last answered in.
    static func replied(_ chat: ChatID) -> StateKey<Double> { .chat(chat, "replied") }
}
