import Logging
import Synchronization

/// Keeps every log line written through its ``logger``, for tests that check what was
/// logged and with which metadata.
///
/// ```swift
/// let logs = LogCapture()
/// let harness = BotHarness(bots: [MyBot()], logger: logs.logger)
/// // ...
/// #expect(logs.lines.contains { $0.message == "chat tagged" })
/// ```
public final class LogCapture: Sendable {
    /// One line as logged: its level, message and metadata (the logger's and the line's).
    public struct Line: Sendable {
        public var level: Logger.Level
        public var message: String
        /// Each value as text.
        public var metadata: [String: String]
    }

    private let captured = Mutex<[Line]>([])

    public init() {}

    /// A logger at `level` whose lines are kept here.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "chatbots.test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// A logger at trace level whose lines are kept here.
    public var logger: Logger {
        logger()
    }

    /// The lines kept so far, in order.
    public var lines: [Line] {
        captured.withLock { $0 }
    }

    fileprivate func append(_ line: Line) {
        captured.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
