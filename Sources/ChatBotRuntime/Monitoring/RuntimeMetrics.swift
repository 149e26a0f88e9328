import Foundation
import Prometheus
import Synchronization

/// One runtime's metrics: a Prometheus registry that its parts count into through
/// swift-metrics, plus the gauges read off the running parts at each scrape.
///
/// Each runtime has its own registry, so two runtimes in one process (tests, a
/// program running two tenants) never mix their numbers, and nothing needs the
/// process-wide `MetricsSystem.bootstrap`.
public final class RuntimeMetrics: Sendable {
    /// What the parts are given to make their counters and histograms.
    public let factory: PrometheusMetricsFactory
    private let registry: PrometheusCollectorRegistry
    private let connected: Prometheus.Gauge
    private let outboxPending: Prometheus.Gauge
    private let deadLetters: Prometheus.Gauge
    private let timersPending: Prometheus.Gauge
    private let lastEventTimestamp: Prometheus.Gauge
    private let oldestPendingAge: Prometheus.Gauge
    private let startedAt = Date()
    private let storeWritable: Prometheus.Gauge
    private let outboxWaiting: [String: Prometheus.Gauge]
    private let leader: Prometheus.Gauge
    private let leaseTerm: Prometheus.Gauge
    private let leaseTakeovers: Prometheus.Counter
    /// The takeovers already counted into ``leaseTakeovers``.
    private let takeoversCounted = Mutex(0)
    private let leaseAge: Prometheus.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Handlers take microseconds to a few seconds (their timeout is 10 s by default).
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.registry = registry
        self.factory = factory
        func gauge(_ name: String, unit: String = "", _ help: String) -> Prometheus.Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "chatbots", metricName: name, unitName: unit, helpText: help))
        }
        connected = gauge("connected", "1 while the socket to the backend is open, else 0")
        outboxPending = gauge("outbox_pending", "Committed actions waiting for delivery")
        deadLetters = gauge("outbox_dead_letters", "Actions the backend refused for good")
        timersPending = gauge("timers_pending", "Bot timers waiting to fire")
        lastEventTimestamp = gauge(
            "last_event_timestamp", unit: "seconds", "Unix time of the last event decoded from the backend (of the runtime's start, before the first)"
        )
        oldestPendingAge = gauge(
            "outbox_oldest_pending_age", unit: "seconds", "How long the oldest action waiting for delivery has waited (0 when none waits)")
        storeWritable = gauge("store_writable", "1 when the store took its write lock at the last check, else 0")
        leader = gauge("leader", "On a shared PostgreSQL store: 1 while this runtime leads, 0 while it stands by")
        leaseTerm = gauge("lease_term", "The leader's term this runtime leads under, or last saw")
        leaseTakeovers = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "chatbots", metricName: "lease_takeovers", unitName: "total", helpText: "Times this runtime took the leader's lease")
        )
        leaseAge = gauge("lease_age", unit: "seconds", "Seconds since this runtime last heard from the database about the lease")
        outboxWaiting = Dictionary(
            uniqueKeysWithValues: OutboxDelivery.waitReasons.map { reason in
                (
                    reason,
                    registry.makeGauge(
                        descriptor: MetricNameDescriptor(
                            namespace: "chatbots", metricName: "outbox_waiting", unitName: "",
                            helpText:
                                "Actions read into memory for delivery, by what they wait on: in_flight, behind_chat (an earlier action of the chat), backoff, rate_limited, paused (a 429), capacity (a free place in flight)"
                        ),
                        labels: [("reason", reason)]
                    )
                )
            })
    }

    /// Sets the gauges from a status read just now.
    func update(from status: RuntimeStatus) {
        connected.set(to: status.connected ? 1 : 0)
        outboxPending.set(to: Double(status.outboxPending))
        deadLetters.set(to: Double(status.deadLetters))
        timersPending.set(to: Double(status.pendingTimers))
        lastEventTimestamp.set(to: (status.lastEventAt ?? startedAt).timeIntervalSince1970)
        oldestPendingAge.set(to: status.oldestPendingAgeSeconds ?? 0)
        storeWritable.set(to: status.storeWritable ? 1 : 0)
        if let lease = status.lease {
            leader.set(to: lease.isLeader ? 1 : 0)
            leaseTerm.set(to: Double(lease.term))
            let newTakeovers = takeoversCounted.withLock { counted in
                defer { counted = max(counted, lease.takeovers) }
                return max(0, lease.takeovers - counted)
            }
            if newTakeovers > 0 { leaseTakeovers.increment(by: Int64(newTakeovers)) }
            leaseAge.set(to: lease.ageSeconds ?? -1)
        }
        for (reason, gauge) in outboxWaiting {
            gauge.set(to: Double(status.outboxWaiting[reason] ?? 0))
        }
    }

    /// Every metric in Prometheus' text format.
    public func exposition() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
