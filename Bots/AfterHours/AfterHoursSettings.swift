import ChatBotKit
import Foundation

/// The after-hours bot's options:
///
/// ```yaml
/// - type: after_hours
///   options:
///     hours:
///       time_zone: Europe/Berlin
///       week: {mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00", fri: "09:00-17:00"}
///       holidays: ["12-25", "2026-12-31"]
///     replies:
///       en: "Thanks for writing! We are closed now and back {next_open} ({time_zone})."
///       ru: "Спасибо! Сейчас мы не работаем, вернёмся {next_open} ({time_zone})."
///     default_language: en
///     curator_quiet_period: 30m
///     reply_on_new_chat: true
///     new_chat_delay: 30s
/// ```
@Configurable
public struct AfterHoursSettings: Sendable, ValidatedConfiguration {
    /// The placeholders a reply may use.
    public static let placeholders: Set<String> = ["next_open", "next_open_date", "next_open_time", "time_zone"]

    /// When the desk is open.
    public var hours: BusinessCalendar
    /// The reply, by language code (`en`, `ru`, ...).
    public var replies: [String: MessageTemplate]
    /// The language used when the client's text does not point to another; with one
    /// reply, its language. In code, give it whenever there is more than one reply: the
    /// memberwise initializer checks nothing (a config file's are checked when read).
    @DefaultFrom("AfterHoursSettings.onlyLanguage(of: replies)") public var defaultLanguage: String
    /// No auto-reply in a chat where a curator wrote this recently: someone is there.
    public var curatorQuietPeriod: ConfigDuration = .minutes(30)
    /// Also answer a chat opened outside hours, when the client has not written yet.
    public var replyOnNewChat: Bool = true
    /// How long after an out-of-hours `new_chat` to wait for the client's first message
    /// (whose text picks the reply's language) before replying in the default language.
    public var newChatDelay: ConfigDuration = 30

    /// The language of the only reply; empty (not a choice) when there are several.
    static func onlyLanguage(of replies: [String: MessageTemplate]) -> String {
        replies.count == 1 ? replies.keys.first ?? "" : ""
    }

    public func validate() throws {
        guard !replies.isEmpty else {
            throw ConfigurationInvalid("replies", "give at least one reply, e.g. en: \"We are closed; back {next_open}.\"")
        }
        for (language, reply) in replies.sorted(by: { $0.key < $1.key }) {
            do {
                try reply.allowing(Self.placeholders)
            } catch {
                throw ConfigurationInvalid("replies.\(language)", error.description)
            }
        }
        let languages = replies.keys.sorted().joined(separator: ", ")
        guard !defaultLanguage.isEmpty else {
            throw ConfigurationInvalid("default_language", "with more than one reply, say which is the default (one of \(languages))")
        }
        guard replies[defaultLanguage] != nil else {
            throw ConfigurationInvalid("default_language", "\"\(defaultLanguage)\" has no reply; replies are given for \(languages)")
        }
    }
}
