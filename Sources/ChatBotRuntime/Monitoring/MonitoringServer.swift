import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The runtime's HTTP endpoint for operators and orchestrators:
///
/// - `GET /metrics`: every metric in Prometheus' text format;
/// - `GET /health`: liveness, 200 while the runtime runs (the endpoint closes when a
///   graceful stop begins);
/// - `GET /ready`: readiness as JSON, 200 when connected with a writable store and the
///   outbox backlog within its limit, else 503 with the problems named.
public struct MonitoringServer: Sendable {
    private let section: MonitoringSection
    private let metrics: RuntimeMetrics
    private let status: @Sendable () async -> RuntimeStatus
    private let logger: Logger
    private let onListening: @Sendable (Int) -> Void

    /// - Parameters:
    ///   - status: Reads the runtime's status now (for `/ready` and the gauges).
    ///   - onListening: Told the port once the server listens (useful with port 0).
    public init(
        section: MonitoringSection, metrics: RuntimeMetrics, logger: Logger,
        status: @escaping @Sendable () async -> RuntimeStatus, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.section = section
        self.metrics = metrics
        self.status = status
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until cancelled or until graceful shutdown.
    ///
    /// - Throws: ``MonitoringError/cannotListen(host:port:reason:)`` when the address
    ///   is taken or not this machine's.
    public func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.get("metrics") { [metrics, status] _, _ in
            metrics.update(from: await status())
            return Self.response(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("health") { _, _ in
            Self.response(#"{"alive":true}"#, contentType: "application/json")
        }
        router.get("ready") { [metrics, status] _, _ in
            let now = await status()
            metrics.update(from: now)
            let body = (try? Self.encoder.encode(now)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"ready":false}"#
            return Self.response(body, contentType: "application/json", status: now.isReady ? .ok : .serviceUnavailable)
        }
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .warning)
        let (host, port, logger, onListening) = (section.host, section.port, logger, onListening)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "chatbots"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.info("monitoring on http://\(host):\(bound) (/metrics, /health, /ready)", metadata: ["monitoring.port": "\(bound)"])
                onListening(bound)
            },
            logger: serverLogger
        )
        do {
            try await app.run()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // Binding is the only thing that fails here: a taken port, a host that is
            // not this machine's or does not resolve.
            throw MonitoringError.cannotListen(host: host, port: port, reason: "\(error)")
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private static func response(_ body: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Why the monitoring endpoint cannot serve.
public enum MonitoringError: Error, CustomStringConvertible, Equatable {
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason):
            "monitoring: cannot listen on \(host):\(port) (\(reason)); set monitoring.port to a free port, or monitoring.enabled: false"
        }
    }
}
