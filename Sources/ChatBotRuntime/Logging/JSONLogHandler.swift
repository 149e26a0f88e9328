import Foundation
import Logging
import Synchronization

/// Writes each log record as one JSON object on one line, for log shippers:
/// `{"ts": "...", "level": "info", "label": "chatbots", "message": "...", "chat.id": "7", ...}`.
///
/// Metadata keep their dotted names as keys; nested metadata is flattened with dots.
/// The runtime never puts secrets or message text (below trace) into a record, so this
/// handler writes what it is given.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// - Parameter write: Where each line goes; standard error by default.
    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged { Self.flatten(value, into: &fields, key: key) }
        fields["ts"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        fields["source"] = event.source
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(String(decoding: data, as: UTF8.self))
    }

    private static func flatten(_ value: Logger.MetadataValue, into fields: inout [String: String], key: String) {
        switch value {
        case .string(let text): fields[key] = text
        case .stringConvertible(let convertible): fields[key] = convertible.description
        case .array(let values): fields[key] = "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
        case .dictionary(let nested):
            for (name, inner) in nested { flatten(inner, into: &fields, key: "\(key).\(name)") }
        }
    }

    private static let standardErrorLock = Mutex(())

    /// Writes a line to standard error, whole: lines from several threads never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        standardErrorLock.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
