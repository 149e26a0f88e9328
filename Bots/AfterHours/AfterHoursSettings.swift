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
public struct AfterHoursSettings: Sendable, Decodable {
    /// The placeholders a reply may use.
    public static let placeholders: Set<String> = ["next_open", "next_open_date", "next_open_time", "time_zone"]

    /// When the desk is open.
    public var hours: BusinessCalendar
    /// The reply, by language code (`en`, `ru`, ...).
    public var replies: [String: MessageTemplate]
    /// The language used when the client's text does not point to another.
    public var defaultLanguage: String
    /// No auto-reply in a chat where a curator wrote this recently: someone is there.
    public var curatorQuietPeriod: ConfigDuration
    /// Also answer a chat opened outside hours, when the client has not written yet.
    public var replyOnNewChat: Bool
    /// How long after an out-of-hours `new_chat` to wait for the client's first message
    /// (whose text picks the reply's language) before replying in the default language.
    public var newChatDelay: ConfigDuration

    public init(
        hours: BusinessCalendar, replies: [String: MessageTemplate], defaultLanguage: String,
        curatorQuietPeriod: ConfigDuration = 1_800, replyOnNewChat: Bool = true, newChatDelay: ConfigDuration = 30
    ) {
        self.hours = hours
        self.replies = replies
        self.defaultLanguage = defaultLanguage
        self.curatorQuietPeriod = curatorQuietPeriod
        self.replyOnNewChat = replyOnNewChat
        self.newChatDelay = newChatDelay
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hours, replies
        case defaultLanguage = "default_language"
        case curatorQuietPeriod = "curator_quiet_period"
        case replyOnNewChat = "reply_on_new_chat"
        case newChatDelay = "new_chat_delay"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hours = try container.decode(BusinessCalendar.self, forKey: .hours)
        let texts = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .replies)
        var replies: [String: MessageTemplate] = [:]
        for key in texts.allKeys {
            let text = try texts.decode(String.self, forKey: key)
            do {
                replies[key.stringValue] = try MessageTemplate(text, placeholders: Self.placeholders)
            } catch {
                throw DecodingError.dataCorruptedError(forKey: key, in: texts, debugDescription: error.description)
            }
        }
        guard !replies.isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .replies, in: container, debugDescription: "give at least one reply, e.g. en: \"We are closed; back {next_open}.\"")
        }
        self.replies = replies
        let fallback = replies.count == 1 ? replies.keys.first : nil
        guard let language = try container.decodeIfPresent(String.self, forKey: .defaultLanguage) ?? fallback else {
            throw DecodingError.keyNotFound(
                CodingKeys.defaultLanguage,
                .init(
                    codingPath: container.codingPath,
                    debugDescription: "with more than one reply, say which is the default (one of \(replies.keys.sorted().joined(separator: ", ")))"
                ))
        }
        guard replies[language] != nil else {
            throw DecodingError.dataCorruptedError(
                forKey: .defaultLanguage, in: container,
                debugDescription: "\"\(language)\" has no reply; replies are given for \(replies.keys.sorted().joined(separator: ", "))"
            )
        }
        defaultLanguage = language
        curatorQuietPeriod = try container.decodeIfPresent(ConfigDuration.self, forKey: .curatorQuietPeriod) ?? 1_800
        replyOnNewChat = try container.decodeIfPresent(Bool.self, forKey: .replyOnNewChat) ?? true
        newChatDelay = try container.decodeIfPresent(ConfigDuration.self, forKey: .newChatDelay) ?? 30
    }
}
