import CoreMetrics
import Synchronization

/// The engine's metrics, made through one swift-metrics factory.
///
/// Labels stay bounded: event types are the documented ones or `unknown`; bots are
/// the installed ones. Per-bot metrics are made on first use, so a bot added by a
/// reload gets its own.
final class EngineMetrics: Sendable {
    private let factory: any MetricsFactory
    private let eventsHandled: EventTypeCounters
    private let perBot = Mutex<[String: BotMetrics]>([:])

    struct BotMetrics: Sendable {
        let handlerDuration: CoreMetrics.Timer
        let failedByError: Counter
        let failedByTimeout: Counter
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
        eventsHandled = EventTypeCounters(label: "chatbots_events_handled_total", factory: factory)
    }

    func handled(_ type: EventType) {
        eventsHandled.increment(type)
    }

    func bot(_ name: String) -> BotMetrics {
        perBot.withLock { cache in
            if let metrics = cache[name] { return metrics }
            let metrics = BotMetrics(
                handlerDuration: CoreMetrics.Timer(label: "chatbots_handler_duration_seconds", dimensions: [("bot", name)], factory: factory),
                failedByError: Counter(label: "chatbots_handler_failures_total", dimensions: [("bot", name), ("reason", "error")], factory: factory),
                failedByTimeout: Counter(label: "chatbots_handler_failures_total", dimensions: [("bot", name), ("reason", "timeout")], factory: factory)
            )
            cache[name] = metrics
            return metrics
        }
    }
}
