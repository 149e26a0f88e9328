import CoreMetrics

/// The engine's metrics, made through one swift-metrics factory.
///
/// Labels stay bounded: event types are the documented ones or `unknown`; bots are
/// the installed ones. A bot's metrics are made when it is installed and kept with it
/// (the engine's lineup), so a bot added by a reload gets its own.
final class EngineMetrics: Sendable {
    private let factory: any MetricsFactory
    private let eventsHandled: EventTypeCounters

    struct BotMetrics: Sendable {
        let handlerDuration: CoreMetrics.Timer
        let failedByError: Counter
        let failedByTimeout: Counter
        /// `chatbots_alerts_total` by level, each made at 0 with the bot, so a first
        /// alert counts as an increase.
        let alertsRaised: [Alert.Level: Counter]

        /// Counts the alerts among a run's actions, once its effects count.
        func countAlerts(in actions: [PlannedAction]) {
            for planned in actions {
                if case .alert(let alert) = planned.action { alertsRaised[alert.level]?.increment() }
            }
        }
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
        eventsHandled = EventTypeCounters(label: "chatbots_events_handled_total", factory: factory)
    }

    func handled(_ type: EventType) {
        eventsHandled.increment(type)
    }

    /// The metrics of the bot named `name`.
    func bot(_ name: String) -> BotMetrics {
        BotMetrics(
            handlerDuration: CoreMetrics.Timer(label: "chatbots_handler_duration_seconds", dimensions: [("bot", name)], factory: factory),
            failedByError: Counter(label: "chatbots_handler_failures_total", dimensions: [("bot", name), ("reason", "error")], factory: factory),
            failedByTimeout: Counter(label: "chatbots_handler_failures_total", dimensions: [("bot", name), ("reason", "timeout")], factory: factory),
            alertsRaised: Dictionary(
                uniqueKeysWithValues: Alert.Level.allCases.map { level in
                    (level, Counter(label: "chatbots_alerts_total", dimensions: [("bot", name), ("level", level.rawValue)], factory: factory))
                })
        )
    }
}
