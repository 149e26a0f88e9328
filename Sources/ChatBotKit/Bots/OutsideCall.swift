import Foundation

/// A question for a service outside the backend — a classifier, a CRM, any HTTP
/// service. A handler never waits for one: it asks (``BotContext/ask(_:as:chat:payload:)``),
/// the runtime sends the request once the handler's effects are durable, and the
/// answer — or why there is none — comes back later as an input of its own, in its
/// turn, to the bot's ``Bot/answerArrived(_:in:)``.
public struct OutsideRequest: Hashable, Sendable, Codable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: Data?
    /// How long to wait for the answer; past it the bot is told the call failed.
    public var timeout: Duration

    public init(method: String = "POST", url: String, headers: [String: String] = [:], body: Data? = nil, timeout: Duration = .seconds(10)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A kind of question a bot asks, with the payload it gets back with the answer (what
/// it needs to act on it: the chat, the message asked about).
public struct CallKind<Payload: Codable & Sendable>: Hashable, Sendable {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }
}

/// The answer to an ``OutsideRequest``, or why there is none.
public struct OutsideAnswer: Hashable, Sendable {
    /// What became of the call.
    public enum Outcome: Hashable, Sendable, Codable {
        /// The service answered (any status: a 500 is an answer too).
        case answered(status: Int, body: Data)
        /// No answer: the request failed, timed out, or the runtime stopped before it came.
        case failed(reason: String)
    }

    /// The call's ``CallKind`` name.
    public var kind: String
    public var chatID: ChatID?
    public var outcome: Outcome
    /// The payload the bot asked with, as JSON; read it typed with ``payload(_:)``.
    public var payloadJSON: Data
    public var askedAt: Date

    public init(kind: String, chatID: ChatID?, outcome: Outcome, payloadJSON: Data, askedAt: Date) {
        self.kind = kind
        self.chatID = chatID
        self.outcome = outcome
        self.payloadJSON = payloadJSON
        self.askedAt = askedAt
    }

    /// The payload, if this answer is to a call of `kind`; `nil` if of another kind.
    public func payload<Payload>(_ kind: CallKind<Payload>) throws -> Payload? {
        guard self.kind == kind.name else { return nil }
        return try JSONDecoder().decode(Payload.self, from: payloadJSON)
    }
}

/// What sends outside requests for the engine: the runtime's HTTP client, or a script
/// in tests. One requirement.
public protocol OutsideCaller: Sendable {
    /// Sends the request and returns the status and body; throws if no answer came.
    /// The engine bounds the wait by the request's timeout.
    func call(_ request: OutsideRequest) async throws -> (status: Int, body: Data)
}

/// A call in flight, as the engine keeps it: in a durable timer of the bot, due when
/// the call has timed out, so a call is never forgotten: its answer cancels the timer;
/// a timeout, or a restart that lost the call, fires it as a failed answer.
struct CallRecord: Codable, Sendable {
    static let timerKind = "outside-call"

    var kind: String
    var chatID: ChatID?
    var payload: Data
    var request: OutsideRequest
    var askedAt: Date
}

extension CallRecord {
    /// The answer the bot gets for this call.
    func answer(_ outcome: OutsideAnswer.Outcome) -> OutsideAnswer {
        OutsideAnswer(kind: kind, chatID: chatID, outcome: outcome, payloadJSON: payload, askedAt: askedAt)
    }
}
