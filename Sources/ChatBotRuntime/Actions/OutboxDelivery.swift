import ChatBotKit
import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Delivers committed actions from the store's outbox: chat actions to the backend's
/// routes, alerts to the alert sink and the log.
///
/// Every attempt carries the action's `Idempotency-Key`, fixed at commit, so a retry,
/// or a delivery after a restart, is applied by the backend at most once. 408, 429, 5xx
/// and network errors are retried with backoff (never sooner than `Retry-After`); 401
/// and 403 are retried with a fresh token; other 4xx become dead letters with the
/// answer's body.
public final class OutboxDelivery: Sendable {
    /// Where actions go and how failures are retried.
    public struct Configuration: Sendable {
        /// The backend's base URL for the action routes, e.g. `https://chat.example`.
        public var apiBaseURL: String
        public var routes: ActionRoutes
        public var alerts: AlertSink
        public var retry: RetryPolicy
        /// How often to look at the outbox when nothing wakes the delivery (for retries
        /// coming due).
        public var pollInterval: Duration
        /// How many due actions one pass takes.
        public var batchSize: Int

        public init(
            apiBaseURL: String, routes: ActionRoutes = ActionRoutes(), alerts: AlertSink = AlertSink(),
            retry: RetryPolicy = RetryPolicy(), pollInterval: Duration = .milliseconds(250), batchSize: Int = 100
        ) {
            self.apiBaseURL = apiBaseURL
            self.routes = routes
            self.alerts = alerts
            self.retry = retry
            self.pollInterval = pollInterval
            self.batchSize = batchSize
        }
    }

    /// Counts of delivery outcomes, for metrics and tests.
    public struct Counters: Sendable, Hashable {
        public var delivered = 0
        public var retried = 0
        public var deadLettered = 0

        public init(delivered: Int = 0, retried: Int = 0, deadLettered: Int = 0) {
            self.delivered = delivered
            self.retried = retried
            self.deadLettered = deadLettered
        }
    }

    private let store: any Store
    private let transport: any HTTPTransport
    private let tokens: any TokenProvider
    private let settings: Mutex<Configuration>
    private let logger: Logger
    private let actionCounters: ActionCounters
    private let random: @Sendable () -> Double
    private let wake = ChangeSignal()
    private let progress = ChangeSignal()
    private let counters = Mutex(Counters())
    private let stopping = Mutex(false)

    /// - Parameter metricsFactory: Where actions are counted by kind and outcome
    ///   (`chatbots_actions_total`); swift-metrics' global factory by default.
    public init(
        store: any Store, transport: any HTTPTransport, tokens: any TokenProvider, configuration: Configuration,
        logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.store = store
        self.transport = transport
        self.tokens = tokens
        settings = Mutex(configuration)
        self.logger = logger
        self.random = random
        actionCounters = ActionCounters(factory: metricsFactory)
    }

    /// Where actions go and how they are retried now.
    public var configuration: Configuration {
        settings.withLock { $0 }
    }

    /// Takes new routes and alert settings (a configuration reload); the next attempt
    /// uses them. Actions already in the outbox keep their idempotency keys.
    public func reconfigure(_ configuration: Configuration) {
        settings.withLock { $0 = configuration }
        wake.notify()
    }

    /// Tells the delivery that new actions were committed.
    public func notify() {
        wake.notify()
    }

    public var statistics: Counters {
        counters.withLock { $0 }
    }

    /// Returns once the counters satisfy `condition` (for tests and shutdown).
    public func waitUntil(_ condition: (Counters) -> Bool) async {
        while true {
            let token = progress.token
            if condition(statistics) || Task.isCancelled { return }
            await progress.wait(since: token)
        }
    }

    /// Asks ``run()`` to return after the request it is making: none is cut off halfway,
    /// so nothing is marked for retry merely because the runtime was stopping.
    public func stop() {
        stopping.withLock { $0 = true }
        wake.notify()
    }

    /// Delivers until cancelled, or until ``stop()``. Being cancelled is a stop, not a
    /// failure: whatever it was waiting on (the store's read, say), it returns.
    public func run() async throws {
        while !Task.isCancelled, !isStopping {
            let token = wake.token
            let attempted: Int
            do {
                attempted = try await deliver(stopsWhenAsked: true, deadline: nil)
            } catch is CancellationError where Task.isCancelled {
                return
            }
            if attempted > 0 { continue }
            let poll = configuration.pollInterval
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.wake.wait(since: token) }
                group.addTask { try? await Task.sleep(for: poll) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// One pass: attempts every action due now, in commit order; returns how many.
    ///
    /// - Parameter deadline: When set, the pass starts no request after it; what is
    ///   left stays in the outbox (a stopping runtime must not wait on a hung backend).
    @discardableResult
    public func deliverDue(deadline: Date? = nil) async throws -> Int {
        try await deliver(stopsWhenAsked: false, deadline: deadline)
    }

    private var isStopping: Bool {
        stopping.withLock { $0 }
    }

    private func deliver(stopsWhenAsked: Bool, deadline: Date?) async throws -> Int {
        let due = try await store.dueActions(at: Date(), limit: configuration.batchSize)
        var attempted = 0
        for entry in due {
            if stopsWhenAsked, isStopping { break }
            if let deadline, Date() >= deadline { break }
            guard let id = entry.id else { continue }
            let outcome = await attempt(entry)
            try await store.settle(id, as: outcome)
            attempted += 1
            progress.notify()
        }
        return attempted
    }

    private func attempt(_ entry: OutboxEntry) async -> DeliveryOutcome {
        let configuration = configuration
        var logger = logger
        logger[metadataKey: "action.kind"] = "\(entry.action.kind)"
        logger[metadataKey: "outbox.id"] = "\(entry.id ?? 0)"
        logger[metadataKey: "bot.name"] = "\(entry.bot)"
        if let chat = entry.action.chatID { logger[metadataKey: "chat.id"] = "\(chat)" }

        let request: OutgoingRequest
        switch entry.action {
        case .alert(let alert):
            logger.log(level: alert.level == .critical ? .error : .warning, "alert: \(alert.text)")
            guard let webhook = configuration.alerts.request(for: alert, idempotencyKey: entry.idempotencyKey) else {
                return record(.delivered, of: entry.action)
            }
            request = webhook
        default:
            guard var chatRequest = configuration.routes.request(for: entry.action, baseURL: configuration.apiBaseURL) else {
                return record(.delivered, of: entry.action)
            }
            do {
                chatRequest.headers["Authorization"] = "Bearer \(try await tokens.token())"
            } catch {
                logger.warning("no token for delivery; will retry", metadata: ["error": "\(error)"])
                return retry(entry, retryAfter: nil, reason: "no token: \(error)")
            }
            chatRequest.headers["Idempotency-Key"] = entry.idempotencyKey
            request = chatRequest
        }

        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            logger.info("delivery failed; will retry", metadata: ["error": "\(error)", "attempt": "\(entry.attempts + 1)"])
            return retry(entry, retryAfter: nil, reason: "\(error)")
        }
        switch DeliveryVerdict(status: response.status) {
        case .delivered:
            logger.debug("delivered", metadata: ["http.status": "\(response.status)"])
            return record(.delivered, of: entry.action)
        case .retry(let refreshToken):
            if refreshToken { await tokens.invalidate() }
            logger.info("delivery refused for now; will retry", metadata: ["http.status": "\(response.status)", "attempt": "\(entry.attempts + 1)"])
            return retry(entry, retryAfter: response.headers["retry-after"], reason: "HTTP \(response.status): \(response.bodyText(limit: 200))")
        case .deadLetter:
            let reason = "HTTP \(response.status): \(response.bodyText())"
            logger.error("delivery refused for good; kept as a dead letter", metadata: ["http.status": "\(response.status)", "http.body": "\(response.bodyText())"])
            return record(.deadLetter(reason: reason), of: entry.action)
        }
    }

    private func retry(_ entry: OutboxEntry, retryAfter: String?, reason: String) -> DeliveryOutcome {
        let configuration = configuration
        let now = Date()
        let delay = configuration.retry.delay(afterAttempt: entry.attempts, retryAfter: retryAfter, now: now, random: random())
        return record(.retry(at: now.addingTimeInterval(delay), reason: reason), of: entry.action)
    }

    /// Counts an attempt's outcome, in the statistics and in `chatbots_actions_total`.
    private func record(_ outcome: DeliveryOutcome, of action: BotAction) -> DeliveryOutcome {
        counters.withLock { counters in
            switch outcome {
            case .delivered: counters.delivered += 1
            case .retry: counters.retried += 1
            case .deadLetter: counters.deadLettered += 1
            }
        }
        actionCounters.increment(kind: action.kind, outcome: outcome)
        return outcome
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
            for outcome in ["delivered", "retried", "dead_lettered"] {
                counters[Key(kind: kind, outcome: outcome)] = Counter(
                    label: "chatbots_actions_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory
                )
            }
        }
        self.counters = counters
    }

    func increment(kind: String, outcome: DeliveryOutcome) {
        let name = switch outcome {
        case .delivered: "delivered"
        case .retry: "retried"
        case .deadLetter: "dead_lettered"
        }
        counters[Key(kind: kind, outcome: name)]?.increment()
    }
}
