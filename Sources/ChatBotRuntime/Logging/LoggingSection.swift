import ChatBotKit
import Logging

/// `logging:` how much the runtime says, and in what shape.
///
/// ```yaml
/// logging:
///   level: info      # trace, debug, info, notice, warning, error, critical
///   format: text     # text for people, json for log shippers (one object per line)
/// ```
@Configurable
public struct LoggingSection: Sendable, Equatable {
    /// The shape of each line.
    public enum Format: String, Decodable, Sendable, CaseIterable {
        case text, json
    }

    public var level: Logger.Level = .info
    public var format: Format = .text

    /// A logger of this level and format, writing to standard error.
    public func makeLogger(label: String) -> Logger {
        var logger =
            switch format {
            case .text: Logger(label: label) { StreamLogHandler.standardError(label: $0) }
            case .json: Logger(label: label) { JSONLogHandler(label: $0) }
            }
        logger.logLevel = level
        return logger
    }
}
