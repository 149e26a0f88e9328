import ChatBotKit
import Foundation

/// An example of a bot that asks an outside service and acts on its answer: it sends a
/// chat's first client message to a classifier, then assigns the curator it names, or
/// answers with the reply it gives. The handler never waits: the question goes out once
/// the handler's effects are committed, and the answer comes back as an input of its
/// own, in its turn.
///
/// ```yaml
/// bots:
///   - type: triage
///     options: {classifier_url: "http://classifier.internal/route", timeout: 5s}
/// ```
///
/// The classifier gets `{"chat_id": "...", "text": "..."}` and answers
/// `{"curator": "curator-2"}`, `{"reply": "..."}`, or `{}` for neither.
public struct TriageBot: Bot {
    /// The type name in config files.
    public static let type = "triage"

    @Configurable
    public struct Settings: Sendable {
        public var classifierURL: String
        public var timeout: ConfigDuration = .seconds(5)
    }

    /// What the classifier answers.
    public struct Verdict: Codable, Sendable, Equatable {
        public var curator: UserID?
        public var reply: String?
    }

    /// The question, with the message it was about (comes back with the answer).
    static let classify = CallKind<MessageID>("classify")
    /// Whether a chat was sent to the classifier.
    static func asked(_ chat: ChatID) -> StateKey<Bool> { .chat(chat, "asked") }

    public let name: String
    public let settings: Settings

    public init(name: String = TriageBot.type, settings: Settings) {
        self.name = name
        self.settings = settings
    }

    public func newMessage(_ message: ChatMessage, in context: BotContext) throws {
        guard let text = message.text, let chat = context.world.chat(message.chatID), chat.clientID == message.senderID,
            chat.curatorID == nil, context.state(Self.asked(message.chatID)) == nil
        else { return }
        let body = try JSONEncoder().encode(["chat_id": message.chatID.rawValue, "text": text])
        let request = OutsideRequest(
            url: settings.classifierURL, headers: ["Content-Type": "application/json"], body: body, timeout: settings.timeout.duration
        )
        context.ask(request, as: Self.classify, chat: message.chatID, payload: message.id)
        context.set(Self.asked(message.chatID), to: true)
    }

    public func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws {
        guard try answer.payload(Self.classify) != nil, let chat = answer.chatID else { return }
        guard case .answered(200, let body) = answer.outcome else {
            // No verdict: the chat waits for whoever assigns curators otherwise.
            context.logger.warning("the classifier gave no verdict", metadata: ["outcome": "\(answer.outcome)"])
            return
        }
        let verdict = try JSONDecoder().decode(Verdict.self, from: body)
        // The world moved on while the question was out: a curator may have taken it.
        guard context.world.chat(chat)?.curatorID == nil else { return }
        if let curator = verdict.curator {
            context.assign(curator, to: chat)
        } else if let reply = verdict.reply {
            context.send(reply, to: chat)
        }
    }
}
