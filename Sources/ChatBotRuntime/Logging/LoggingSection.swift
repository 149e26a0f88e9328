import ChatBotKit
import Logging

/// `logging:` how much the runtime says, and in what shape.
///
/// ```yaml
/// logging:
///   level: info      # trace, debug, info, notice, warning, error, critical
///   format: text     # text for people, json for log shippers (one object per line)
/// ```
public struct LoggingSection: Decodable, Sendable, Equatable {
    /// The shape of each line.
    public enum Format: String, Decodable, Sendable, CaseIterable {
        case text, json
    }

    public var level: Logger.Level
    public var format: Format

    public init(level: Logger.Level = .info, format: Format = .text) {
        self.level = level
        self.format = format
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case level, format
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let levelName = try container.decodeIfPresent(String.self, forKey: .level) ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw DecodingError.dataCorruptedError(
                forKey: .level, in: container,
                debugDescription: "\"\(levelName)\" is not a level: use \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.level = level
        format = try container.decodeIfPresent(Format.self, forKey: .format) ?? .text
    }

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
