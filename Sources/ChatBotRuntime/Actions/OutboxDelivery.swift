import ChatBotKit
import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Delivers committed actions from the store's outbox: chat actions to the backend's
/// routes, alerts to the alert sink and the log.
///
/// Actions of different chats go out at the same time, up to
/// ``DeliveryLimits/maxInFlight``; a chat's actions go in commit order, each only once
/// the one before it settled, retries included (``DeliveryQueue``). Alerts travel on
/// their own channel, so a dead webhook never holds a chat's replies.
///
/// Every attempt carries the action's `Idempotency-Key`, fixed at commit, so a retry,
/// or a delivery after a restart, is applied by the backend at most once. 408, 429, 5xx
/// and network errors are retried with backoff (never sooner than `Retry-After`) while
/// the next attempt falls within the action's maximum age; then it becomes a dead
/// letter and an alert says so. 401 and 403 are retried with a fresh token; other 4xx
/// become dead letters with the answer's body. An action past its `expiresAt` is
/// recorded as expired and not sent.
public final class OutboxDelivery: Sendable {
    /// Where actions go and how failures are retried.
    public struct Configuration: Sendable {
        /// The backend's base URL for the action routes, e.g. `https://chat.example`.
        public var apiBaseURL: String
        public var routes: ActionRoutes
        public var alerts: AlertSink
        public var retry: RetryPolicy
        /// How many go at once and how fast.
        public var limits: DeliveryLimits
        /// How long after its commit a chat action is still retried.
        public var maxAge: Duration
        /// How long after its commit an alert is still retried.
        public var alertMaxAge: Duration
        /// How long one webhook request may take; the transport's default when `nil`.
        public var alertTimeout: Duration?
        /// How often to look at the outbox when nothing wakes the delivery.
        public var pollInterval: Duration

        public init(
            apiBaseURL: String, routes: ActionRoutes = ActionRoutes(), alerts: AlertSink = AlertSink(),
            retry: RetryPolicy = RetryPolicy(), limits: DeliveryLimits = DeliveryLimits(), maxAge: Duration = .seconds(3_600),
            alertMaxAge: Duration = .seconds(86_400), alertTimeout: Duration? = nil, pollInterval: Duration = .milliseconds(250)
        ) {
            self.apiBaseURL = apiBaseURL
            self.routes = routes
            self.alerts = alerts
            self.retry = retry
            self.limits = limits
            self.maxAge = maxAge
            self.alertMaxAge = alertMaxAge
            self.alertTimeout = alertTimeout
            self.pollInterval = pollInterval
        }
    }

    /// Counts of delivery outcomes, for metrics and tests.
    public struct Counters: Sendable, Hashable {
        public var delivered = 0
        public var retried = 0
        public var deadLettered = 0
        /// Recorded as expired, unsent.
        public var expired = 0

        public init(delivered: Int = 0, retried: Int = 0, deadLettered: Int = 0, expired: Int = 0) {
            self.delivered = delivered
            self.retried = retried
            self.deadLettered = deadLettered
            self.expired = expired
        }
    }

    /// What one attempt came to: how to settle it, and whether the backend said 429.
    private struct Attempt {
        var outcome: DeliveryOutcome
        /// The backend answered 429: its bucket pauses until then.
        var throttledUntil: Date?
        /// An alert to add with the settlement: this action was given up on.
        var followUp: OutboxEntry?
    }

    /// Rows one forward read of the outbox takes at most.
    private static let scanBatch = 500

    private let store: any Store
    private let transport: any HTTPTransport
    private let tokens: any TokenProvider
    private let settings: Mutex<Configuration>
    private let logger: Logger
    private let actionCounters: ActionCounters
    private let random: @Sendable () -> Double
    private let now: @Sendable () -> Date
    private let queue: Mutex<DeliveryQueue>
    private let wake = ChangeSignal()
    private let progress = ChangeSignal()
    private let counters = Mutex(Counters())
    private let stopping = Mutex(false)
    /// The store failed to record a settlement: delivery stops and says why.
    private let failure = Mutex<(any Error)?>(nil)
    /// New rows may be in the outbox (a commit, a follow-up alert, a full last read).
    private let unread = Mutex(true)
    private let lastPrune: Mutex<Date>
    /// When the outbox was last read forward.
    private let lastRead: Mutex<Date>
    /// Asked before every request: whether this runtime may still send (it leads).
    private let mayDeliver: @Sendable () -> Bool

    /// - Parameters:
    ///   - metricsFactory: Where actions are counted by kind and outcome
    ///     (`chatbots_actions_total`); swift-metrics' global factory by default.
    ///   - now: The clock that backoff, limits and expiry are judged by.
    ///   - mayDeliver: Asked before every request (and every expiry recorded): `false`
    ///     once this runtime no longer leads, and nothing more is sent or settled. The
    ///     requests already in the air finish; their settlements are fenced by the store.
    public init(
        store: any Store, transport: any HTTPTransport, tokens: any TokenProvider, configuration: Configuration,
        logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        metricsFactory: any MetricsFactory = MetricsSystem.factory, now: @escaping @Sendable () -> Date = { Date() },
        mayDeliver: @escaping @Sendable () -> Bool = { true }
    ) {
        self.mayDeliver = mayDeliver
        self.store = store
        self.transport = transport
        self.tokens = tokens
        settings = Mutex(configuration)
        self.logger = logger
        self.random = random
        self.now = now
        let start = now()
        queue = Mutex(DeliveryQueue(limits: configuration.limits, now: start))
        lastPrune = Mutex(start)
        lastRead = Mutex(start)
        actionCounters = ActionCounters(factory: metricsFactory)
    }

    /// Where actions go and how they are retried now.
    public var configuration: Configuration {
        settings.withLock { $0 }
    }

    /// Takes new routes, alert settings, retries and ages (a configuration reload); the
    /// next attempt uses them. Actions already in the outbox keep their idempotency keys.
    /// The limits stay as they started: they sized the HTTP connection pool, so the
    /// runtime's `delivery:` section needs a restart.
    public func reconfigure(_ configuration: Configuration) {
        settings.withLock { $0 = configuration }
        wake.notify()
    }

    /// Tells the delivery that new actions were committed.
    public func notify() {
        unread.withLock { $0 = true }
        wake.notify()
    }

    public var statistics: Counters {
        counters.withLock { $0 }
    }

    /// The reasons ``waitingActions()`` counts by.
    public static let waitReasons = DeliveryQueue.WaitReason.allCases.map(\.rawValue)

    /// How many of the actions read into memory wait, by reason (`in_flight`,
    /// `behind_chat`, `backoff`, `rate_limited`, `paused`, `capacity`): what
    /// `chatbots_outbox_waiting` exports.
    public func waitingActions() -> [String: Int] {
        let moment = now()
        let counts = queue.withLock { $0.waiting(at: moment) }
        return Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
    }

    /// Returns once the counters satisfy `condition` (for tests and shutdown).
    public func waitUntil(_ condition: (Counters) -> Bool) async {
        while true {
            let token = progress.token
            if condition(statistics) || Task.isCancelled { return }
            await progress.wait(since: token)
        }
    }

    /// Asks ``run()`` to start no more requests and return once those in the air have
    /// been answered and settled: none is cut off halfway, so nothing is marked for
    /// retry merely because the runtime was stopping.
    public func stop() {
        stopping.withLock { $0 = true }
        wake.notify()
    }

    /// Delivers until cancelled, or until ``stop()``. Being cancelled is a stop, not a
    /// failure: whatever it was waiting on (the store's read, say), it returns. Throws
    /// if the store could not record what became of an attempt.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled, !isStopping, !hasFailed {
                let token = wake.token
                guard await refresh() else { break }
                startDispatches(in: &group) { !self.isStopping }
                pruneNowAndThen()
                // Behind a full read more rows wait: read on before sleeping.
                if moreToRead { continue }
                let moment = now()
                var wait = configuration.pollInterval.timeInterval
                if let wakeAt = queue.withLock({ $0.nextWake(after: moment) }) {
                    wait = min(wait, max(0.001, wakeAt.timeIntervalSince(moment)))
                }
                await waitForWake(since: token, atMost: wait)
            }
        }
        try throwIfFailed()
    }

    /// Delivers what is due now, as ``run()`` would, and returns how many attempts it
    /// made (expired actions included) once nothing more is due. It may run beside
    /// ``run()``: both take from one queue, so no action goes twice or out of order.
    ///
    /// - Parameter deadline: When set, the pass starts no request after it, and until
    ///   it waits for actions held back briefly (a rate limit, a short backoff); what is
    ///   left stays in the outbox (a stopping runtime must not wait on a hung backend).
    @discardableResult
    public func deliverDue(deadline: Date? = nil) async throws -> Int {
        let attempted = Mutex(0)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled, !hasFailed {
                let token = wake.token
                guard await refresh() else { break }
                let moment = now()
                if let deadline, moment >= deadline { break }
                let started = startDispatches(in: &group) { deadline.map { self.now() < $0 } ?? true }
                attempted.withLock { $0 += started }
                let (inFlight, wakeAt) = queue.withLock { ($0.inFlight, $0.nextWake(after: moment)) }
                var wait = 60.0
                if started == 0, inFlight == 0, moreToRead { continue }
                if started == 0, inFlight == 0 {
                    guard let deadline, let wakeAt, wakeAt < deadline else { break }
                    wait = wakeAt.timeIntervalSince(moment)
                } else if let deadline {
                    wait = deadline.timeIntervalSince(moment)
                }
                await waitForWake(since: token, atMost: max(0.001, wait))
            }
        }
        try throwIfFailed()
        return attempted.withLock { $0 }
    }

    private var isStopping: Bool {
        stopping.withLock { $0 }
    }

    private var hasFailed: Bool {
        failure.withLock { $0 != nil }
    }

    private func throwIfFailed() throws {
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func waitForWake(since token: Int, atMost seconds: TimeInterval) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wake.wait(since: token) }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int64((seconds * 1_000).rounded(.up)))) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Reads what the queue has room for from the store, and refills the chats that
    /// emptied while more of them waits there. `false` when cancelled or failed.
    private func refresh() async -> Bool {
        do {
            // Refills first: their rows are older than any the forward read would take.
            // One at a time: each takes some of the room the next may have.
            while let refill = queue.withLock({ $0.nextRefill() }) {
                let rows = try await store.pendingActions(of: refill.chat, alerts: refill.alerts, in: refill.ids, limit: refill.limit)
                let moment = now()
                queue.withLock { $0.refill(refill, with: rows, now: moment) }
            }
            // Now and then, read forward unasked: a dead letter re-queued by hand (by
            // another process) wakes nobody.
            if isDue(lastRead, every: configuration.pollInterval.timeInterval, at: now()) { unread.withLock { $0 = true } }
            guard unread.withLock({ $0 }) else { return true }
            let (room, cursor) = queue.withLock { ($0.room, $0.cursor) }
            guard room > 0 else { return true }
            unread.withLock { $0 = false }
            let limit = min(room, Self.scanBatch)
            let rows = try await store.pendingActions(after: cursor, limit: limit)
            let moment = now()
            let moved = queue.withLock { queue in
                queue.admit(rows, now: moment)
                return queue.cursor
            }
            // A full read, or one memory had no room for all of: more may wait.
            if rows.count == limit || moved < rows.last?.id ?? 0 { unread.withLock { $0 = true } }
            return true
        } catch {
            if !(error is CancellationError) || !Task.isCancelled { fail(with: error) }
            return false
        }
    }

    /// Whether rows wait in the store that memory has room for now.
    private var moreToRead: Bool {
        let unread = unread.withLock { $0 }
        return queue.withLock { (unread && $0.room > 0) || $0.nextRefill() != nil }
    }

    /// Starts every dispatch the queue allows now; returns how many.
    @discardableResult
    private func startDispatches(in group: inout DiscardingTaskGroup, mayStart: () -> Bool) -> Int {
        var started = 0
        while mayStart() {
            let moment = now()
            guard let dispatch = queue.withLock({ $0.next(at: moment) }) else { break }
            group.addTask { await self.carryOut(dispatch) }
            started += 1
        }
        return started
    }

    private func pruneNowAndThen() {
        let moment = now()
        if isDue(lastPrune, every: 10, at: moment) { queue.withLock { $0.prune(at: moment) } }
    }

    /// Whether `interval` seconds have passed since `mark`; if so, `mark` becomes `moment`.
    private func isDue(_ mark: borrowing Mutex<Date>, every interval: TimeInterval, at moment: Date) -> Bool {
        mark.withLock { last in
            guard moment.timeIntervalSince(last) >= interval else { return false }
            last = moment
            return true
        }
    }

    private func fail(with error: any Error) {
        failure.withLock { if $0 == nil { $0 = error } }
        logger.critical("delivery stopped: the outbox could not be read or updated", metadata: ["error": "\(error)"])
        wake.notify()
    }

    /// Sends one action (or records it expired), settles it in the store, and tells
    /// the queue, so its chat's next action may go.
    private func carryOut(_ dispatch: DeliveryQueue.Dispatch) async {
        let entry = dispatch.entry
        guard let id = entry.id, mayDeliver() else {
            finish(dispatch, with: .abandoned)
            return
        }
        let attempt: Attempt
        if dispatch.expired {
            attempt = expire(entry)
        } else if let made = await self.attempt(entry) {
            attempt = made
        } else {
            finish(dispatch, with: .abandoned)
            return
        }
        do {
            try await store.settle(id, as: attempt.outcome, followUp: attempt.followUp)
        } catch {
            if !(error is CancellationError) || !Task.isCancelled { fail(with: error) }
            finish(dispatch, with: .abandoned)
            return
        }
        record(attempt.outcome, of: entry.action)
        if attempt.followUp != nil { unread.withLock { $0 = true } }
        switch attempt.outcome {
        case .delivered: finish(dispatch, with: .settled(success: true))
        case .deadLetter, .expired: finish(dispatch, with: .settled(success: false, throttledUntil: attempt.throttledUntil))
        case .retry(let at, _): finish(dispatch, with: .retry(at: at, throttled: attempt.throttledUntil != nil))
        }
        progress.notify()
    }

    private func finish(_ dispatch: DeliveryQueue.Dispatch, with result: DeliveryQueue.Result) {
        let moment = now()
        queue.withLock { $0.finish(dispatch, with: result, at: moment) }
        wake.notify()
    }

    private func expire(_ entry: OutboxEntry) -> Attempt {
        let expiredAt = entry.expiresAt ?? now()
        let reason = "expired unsent at \(expiredAt) (\(Int(expiredAt.timeIntervalSince(entry.createdAt))) s after its commit)"
        logger.notice("action expired before it could be sent; recorded, not sent", metadata: metadata(of: entry))
        return Attempt(outcome: .expired(reason: reason))
    }

    private func metadata(of entry: OutboxEntry) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "action.kind": "\(entry.action.kind)", "outbox.id": "\(entry.id ?? 0)", "bot.name": "\(entry.bot)",
        ]
        if let chat = entry.action.chatID { metadata["chat.id"] = "\(chat)" }
        return metadata
    }

    /// One attempt; `nil` when it was cut off by cancellation (then nothing is settled,
    /// and the action goes again, with its key, on the next start).
    private func attempt(_ entry: OutboxEntry) async -> Attempt? {
        let configuration = configuration
        var logger = logger
        for (key, value) in metadata(of: entry) { logger[metadataKey: key] = value }

        let request: OutgoingRequest
        switch entry.action {
        case .alert(let alert):
            logger.log(level: alert.level == .critical ? .error : .warning, "alert: \(alert.text)")
            guard var webhook = configuration.alerts.request(for: alert, idempotencyKey: entry.idempotencyKey) else {
                return Attempt(outcome: .delivered)
            }
            webhook.timeout = configuration.alertTimeout
            request = webhook
        default:
            guard var chatRequest = configuration.routes.request(for: entry.action, baseURL: configuration.apiBaseURL) else {
                return Attempt(outcome: .delivered)
            }
            do {
                chatRequest.headers["Authorization"] = "Bearer \(try await tokens.token())"
            } catch {
                if Task.isCancelled { return nil }
                logger.warning("no token for delivery; will retry", metadata: ["error": "\(error)"])
                return retry(entry, retryAfter: nil, reason: "no token: \(error)", logger: logger)
            }
            chatRequest.headers["Idempotency-Key"] = entry.idempotencyKey
            request = chatRequest
        }

        // Asked again at the last moment: a token's round trip, or a wait for a pooled
        // connection, may have outlasted this runtime's lease since the dispatch began.
        guard mayDeliver() else { return nil }
        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            if Task.isCancelled { return nil }
            logger.info("delivery failed; will retry", metadata: ["error": "\(error)", "attempt": "\(entry.attempts + 1)"])
            return retry(entry, retryAfter: nil, reason: "\(error)", logger: logger)
        }
        switch DeliveryVerdict(status: response.status) {
        case .delivered:
            logger.debug("delivered", metadata: ["http.status": "\(response.status)"])
            return Attempt(outcome: .delivered)
        case .retry(let refreshToken):
            if refreshToken { await tokens.invalidate() }
            logger.info("delivery refused for now; will retry", metadata: ["http.status": "\(response.status)", "attempt": "\(entry.attempts + 1)"])
            return retry(
                entry, retryAfter: response.headers["retry-after"], reason: "HTTP \(response.status): \(response.bodyText(limit: 200))",
                throttled: response.status == 429, logger: logger
            )
        case .deadLetter:
            let reason = "HTTP \(response.status): \(response.bodyText())"
            logger.error(
                "delivery refused for good; kept as a dead letter",
                metadata: ["http.status": "\(response.status)", "http.body": "\(response.bodyText())"])
            return Attempt(outcome: .deadLetter(reason: reason))
        }
    }

    /// A retry at the backoff's time, or, when that falls past the action's maximum
    /// age, a dead letter with the last answer and an alert that says so.
    private func retry(_ entry: OutboxEntry, retryAfter: String?, reason: String, throttled: Bool = false, logger: Logger) -> Attempt {
        let configuration = configuration
        let moment = now()
        let delay = configuration.retry.delay(afterAttempt: entry.attempts, retryAfter: retryAfter, now: moment, random: random())
        let next = moment.addingTimeInterval(delay)
        let isAlert = if case .alert = entry.action { true } else { false }
        let maxAge = isAlert ? configuration.alertMaxAge : configuration.maxAge
        let throttledUntil = throttled ? next : nil
        guard next.timeIntervalSince(entry.createdAt) > maxAge.timeInterval else {
            return Attempt(outcome: .retry(at: next, reason: reason), throttledUntil: throttledUntil)
        }
        let attempts = entry.attempts + 1
        let waited = Int(moment.timeIntervalSince(entry.createdAt).rounded())
        let verdict = "gave up after \(attempts) attempts in \(waited) s (max age \(Int(maxAge.timeInterval)) s); last: \(reason)"
        logger.error(
            "delivery given up: past its maximum age; kept as a dead letter",
            metadata: [
                "attempts": "\(attempts)", "error": "\(reason)",
            ])
        // An alert that could not be delivered is not alerted about again: the log says it.
        let followUp = isAlert ? nil : givenUpAlert(for: entry, attempts: attempts, waited: waited, reason: reason, at: moment)
        return Attempt(outcome: .deadLetter(reason: verdict), throttledUntil: throttledUntil, followUp: followUp)
    }

    private func givenUpAlert(for entry: OutboxEntry, attempts: Int, waited: Int, reason: String, at moment: Date) -> OutboxEntry {
        let chat = entry.action.chatID
        let alert = Alert(
            text: "Gave up delivering \(entry.action.kind) to chat \(chat?.rawValue ?? "-") after \(attempts) attempts in \(waited) s: \(reason)",
            level: .warning, chatID: chat,
            details: [
                "reason": "delivery_given_up", "action": .string(entry.action.kind), "bot": .string(entry.bot),
                "action_idempotency_key": .string(entry.idempotencyKey), "attempts": .integer(Int64(attempts)),
                "last_error": .string(reason),
            ]
        )
        return OutboxEntry(
            // Unique per give-up: a dead letter re-queued by hand may be given up on again.
            idempotencyKey: "\(entry.idempotencyKey)-given-up-\(attempts)", bot: entry.bot, action: .alert(alert), createdAt: moment,
            nextAttemptAt: moment
        )
    }

    /// Counts an attempt's outcome, in the statistics and in `chatbots_actions_total`.
    private func record(_ outcome: DeliveryOutcome, of action: BotAction) {
        counters.withLock { counters in
            switch outcome {
            case .delivered: counters.delivered += 1
            case .retry: counters.retried += 1
            case .deadLetter: counters.deadLettered += 1
            case .expired: counters.expired += 1
            }
        }
        actionCounters.increment(kind: action.kind, outcome: outcome)
    }
}

/// `chatbots_actions_total` by action kind and outcome, made once: counting an attempt
/// is a lookup, not a registry lookup by labels built for it.
private struct ActionCounters: Sendable {
    private struct Key: Hashable {
        let kind: String
        let outcome: String
    }

    private let counters: [Key: Counter]

    init(factory: any MetricsFactory) {
        var counters: [Key: Counter] = [:]
        for kind in BotAction.kinds {
            for outcome in ["delivered", "retried", "dead_lettered", "expired"] {
                counters[Key(kind: kind, outcome: outcome)] = Counter(
                    label: "chatbots_actions_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory
                )
            }
        }
        self.counters = counters
    }

    func increment(kind: String, outcome: DeliveryOutcome) {
        let name =
            switch outcome {
            case .delivered: "delivered"
            case .retry: "retried"
            case .deadLetter: "dead_lettered"
            case .expired: "expired"
            }
        counters[Key(kind: kind, outcome: name)]?.increment()
    }
}
