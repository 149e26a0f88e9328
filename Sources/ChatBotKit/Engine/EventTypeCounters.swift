import CoreMetrics

/// One counter per documented event type and one for every other type (`unknown`),
/// made once: counting an event is a lookup by its type, not a registry lookup by
/// labels built for it, and the `type` label stays bounded whatever the backend sends.
package struct EventTypeCounters: Sendable {
    private let documented: [EventType: Counter]
    private let unknown: Counter

    package init(label: String, factory: any MetricsFactory) {
        documented = Dictionary(
            uniqueKeysWithValues: EventType.documented.map { type in
                (type, Counter(label: label, dimensions: [("type", type.wireName)], factory: factory))
            })
        unknown = Counter(label: label, dimensions: [("type", "unknown")], factory: factory)
    }

    package func increment(_ type: EventType) {
        (documented[type] ?? unknown).increment()
    }

    /// The `type` label for a wire name: itself if documented, `unknown` otherwise.
    package static func label(_ wireName: String) -> String {
        if case .unknown = EventType(wireName: wireName) { "unknown" } else { wireName }
    }
}
