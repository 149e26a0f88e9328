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
@Configurable
public struct MonitoringSection: Sendable, Equatable, ValidatedConfiguration {
    /// `nil` when the file does not say: the one who runs the runtime decides.
    public var enabled: Bool?
    public var host: String = "127.0.0.1"
    public var port: Int = 9_464
    /// The outbox backlog above which the runtime says it is not ready.
    public var readyMaxOutbox: Int = 1_000

    public func validate() throws {
        guard (0...65_535).contains(port) else { throw ConfigurationInvalid("port", "a port is between 0 and 65535, not \(port)") }
        guard !host.isEmpty else { throw ConfigurationInvalid("host", "a host to listen on, such as 127.0.0.1") }
        guard readyMaxOutbox >= 0 else { throw ConfigurationInvalid("ready_max_outbox", "must not be negative") }
    }
}
