import ChatBotKit

/// `monitoring:` the HTTP endpoint for Prometheus and for liveness and readiness probes.
///
/// ```yaml
/// monitoring:
///   enabled: true            # on in `chatbots run`; off by default in a runtime made in code
///   host: 127.0.0.1          # 0.0.0.0 to let a scraper on another host in
///   port: 9464               # 0 picks a free port (tests); the log says which
///   ready_max_outbox: 1000   # /ready is false while more actions than this wait
/// ```
public struct MonitoringSection: Decodable, Sendable, Equatable {
    /// `nil` when the file does not say: the one who runs the runtime decides.
    public var enabled: Bool?
    public var host: String
    public var port: Int
    /// The outbox backlog above which the runtime says it is not ready.
    public var readyMaxOutbox: Int

    public init(enabled: Bool? = nil, host: String = "127.0.0.1", port: Int = 9464, readyMaxOutbox: Int = 1_000) {
        self.enabled = enabled
        self.host = host
        self.port = port
        self.readyMaxOutbox = readyMaxOutbox
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, host, port
        case readyMaxOutbox = "ready_max_outbox"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = MonitoringSection()
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? defaults.host
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? defaults.port
        readyMaxOutbox = try container.decodeIfPresent(Int.self, forKey: .readyMaxOutbox) ?? defaults.readyMaxOutbox
        guard (0...65_535).contains(port) else {
            throw DecodingError.dataCorruptedError(forKey: .port, in: container, debugDescription: "a port is between 0 and 65535, not \(port)")
        }
        guard !host.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .host, in: container, debugDescription: "a host to listen on, such as 127.0.0.1")
        }
        guard readyMaxOutbox >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .readyMaxOutbox, in: container, debugDescription: "must not be negative")
        }
    }
}
