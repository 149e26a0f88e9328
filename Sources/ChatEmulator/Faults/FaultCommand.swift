/// A change to the emulator's faults, given at start or while it runs.
///
/// Over HTTP it is the JSON body of `POST /emulator/faults`; every field is optional
/// and only the fields present change anything:
///
/// ```json
/// {"drop_sockets": true}
/// {"close_sockets": 4001}
/// {"fail_actions": {"count": 2, "status": 500}}
/// {"fail_actions": {"count": 1, "status": 429, "retry_after": 1}}
/// {"delay_ms": 250}
/// {"silent": true}
/// {"refuse_handshakes": 403}
/// {"refuse_handshakes": 0}
/// {"fail_tokens": {"count": 2, "status": 500}}
/// {"lose_answers": 1}
/// {"delay_ms": 250, "jitter_ms": 100}
/// {"fail_rate": 0.2}
/// {"throttle_chats": {"chats": ["17"], "retry_after": 2}}
/// {"hang_hooks": true}
/// ```
public struct FaultCommand: Codable, Sendable, Equatable {
    /// Drop every open socket now, without a close frame.
    public var dropSockets: Bool?
    /// Close every open socket now with this close code.
    public var closeSockets: UInt16?
    /// Fail the next action requests (and leave them unapplied).
    public var failActions: ActionFailure?
    /// Delay every answer of the token endpoint and the action routes by this many ms.
    public var delayMilliseconds: Int?
    /// Go silent: stop reading from the open sockets (so pings go unanswered) and stop
    /// writing to them, as a half-open connection does. `false` wakes them again.
    public var silent: Bool?
    /// Refuse every WebSocket handshake with this HTTP status (403, 500, ...) from now
    /// on; `0` accepts them again.
    public var refuseHandshakes: Int?
    /// Fail the next token requests with this status (401, 500, ...), Keycloak-style.
    public var failTokens: ActionFailure?
    /// Apply the next this many action requests, then close their connections
    /// without answering: the caller cannot know the action was applied.
    public var loseAnswers: Int?
    /// Spread each answer's delay evenly over `delay_ms` ± this many ms, as a real
    /// backend's answers vary.
    public var jitterMilliseconds: Int?
    /// Fail this share (0 to 1) of action requests with 500, at random; 0 stops it.
    public var failRate: Double?
    /// Answer every action request on these chats 429 with `Retry-After`, as a backend
    /// limiting per chat does; an empty list stops it.
    public var throttleChats: Throttle?
    /// The alert webhook sink never answers (`false` lets it answer again).
    public var hangHooks: Bool?

    /// Chats whose action requests are refused with 429.
    public struct Throttle: Codable, Sendable, Equatable {
        public var chats: [String]
        /// The `Retry-After` header, in seconds.
        public var retryAfter: Int

        public init(chats: [String], retryAfter: Int = 1) {
            self.chats = chats
            self.retryAfter = retryAfter
        }

        enum CodingKeys: String, CodingKey {
            case chats
            case retryAfter = "retry_after"
        }
    }

    /// Injected failures of action requests.
    public struct ActionFailure: Codable, Sendable, Equatable {
        /// How many of the next action requests fail.
        public var count: Int
        /// The status they fail with: 500, 503, 429, ...
        public var status: Int
        /// The `Retry-After` header to send, in seconds.
        public var retryAfter: Int?

        public init(count: Int, status: Int = 500, retryAfter: Int? = nil) {
            self.count = count
            self.status = status
            self.retryAfter = retryAfter
        }

        enum CodingKeys: String, CodingKey {
            case count, status
            case retryAfter = "retry_after"
        }
    }

    public init(
        dropSockets: Bool? = nil,
        closeSockets: UInt16? = nil,
        failActions: ActionFailure? = nil,
        delayMilliseconds: Int? = nil,
        silent: Bool? = nil,
        refuseHandshakes: Int? = nil,
        failTokens: ActionFailure? = nil,
        loseAnswers: Int? = nil,
        jitterMilliseconds: Int? = nil,
        failRate: Double? = nil,
        throttleChats: Throttle? = nil,
        hangHooks: Bool? = nil
    ) {
        self.dropSockets = dropSockets
        self.closeSockets = closeSockets
        self.failActions = failActions
        self.delayMilliseconds = delayMilliseconds
        self.silent = silent
        self.refuseHandshakes = refuseHandshakes
        self.failTokens = failTokens
        self.loseAnswers = loseAnswers
        self.jitterMilliseconds = jitterMilliseconds
        self.failRate = failRate
        self.throttleChats = throttleChats
        self.hangHooks = hangHooks
    }

    /// What is wrong with the command, if anything: a status that is not an HTTP error
    /// would silently refuse or fail nothing.
    var problem: String? {
        let errors = 400...599
        if let status = refuseHandshakes, status != 0, !errors.contains(status) {
            return "refuse_handshakes must be 0 or an HTTP error status from 400 to 599, not \(status)"
        }
        for (key, failure) in [("fail_actions", failActions), ("fail_tokens", failTokens)] {
            if let status = failure?.status, !errors.contains(status) {
                return "\(key).status must be an HTTP error status from 400 to 599, not \(status)"
            }
        }
        if let rate = failRate, !(0...1).contains(rate) {
            return "fail_rate must be from 0 to 1, not \(rate)"
        }
        if let jitter = jitterMilliseconds, jitter < 0 {
            return "jitter_ms must be 0 or more, not \(jitter)"
        }
        if let retryAfter = throttleChats?.retryAfter, retryAfter < 0 {
            return "throttle_chats.retry_after must be 0 or more seconds, not \(retryAfter)"
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case dropSockets = "drop_sockets"
        case closeSockets = "close_sockets"
        case failActions = "fail_actions"
        case delayMilliseconds = "delay_ms"
        case silent
        case refuseHandshakes = "refuse_handshakes"
        case failTokens = "fail_tokens"
        case loseAnswers = "lose_answers"
        case jitterMilliseconds = "jitter_ms"
        case failRate = "fail_rate"
        case throttleChats = "throttle_chats"
        case hangHooks = "hang_hooks"
    }
}
