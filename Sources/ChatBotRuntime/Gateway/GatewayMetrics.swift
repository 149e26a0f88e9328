import ChatBotKit
import CoreMetrics

/// The gateway's metrics: frames received, events decoded and rejected by type, and
/// reconnects. Labels stay bounded: a type the backend's document does not list is
/// counted as `unknown`, whatever its name.
struct GatewayMetrics: Sendable {
    private let framesReceived: Counter
    private let reconnects: Counter
    private let decoded: EventTypeCounters
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        framesReceived = Counter(label: "chatbots_frames_received_total", dimensions: [], factory: factory)
        reconnects = Counter(label: "chatbots_reconnects_total", dimensions: [], factory: factory)
        decoded = EventTypeCounters(label: "chatbots_events_decoded_total", factory: factory)
    }

    func frameReceived() {
        framesReceived.increment()
    }

    func reconnected() {
        reconnects.increment()
    }

    func decoded(_ type: EventType) {
        decoded.increment(type)
    }

    /// Rejections are rare: their counters are made as they happen (swift-metrics
    /// hands back the same one for the same labels).
    func rejected(_ failure: FrameDecodingFailure) {
        Counter(
            label: "chatbots_events_failed_total",
            dimensions: [("type", failure.eventType.map(EventTypeCounters.label) ?? "none"), ("reason", failure.kind.rawValue)],
            factory: factory
        ).increment()
    }
}
