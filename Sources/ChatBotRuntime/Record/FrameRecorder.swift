import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Appends every frame the gateway receives to a JSON Lines file, with its arrival time:
/// `{"received_at": "2026-11-29T19:03:05.123Z", "frame": "{\"event_type\": ...}"}`.
/// What `run --record FILE` writes, and what a replay reads.
///
/// Frames carry clients' messages, so a new file is readable by its owner only. A
/// frame that cannot be written is logged once per failure spell and dropped from the
/// recording; the runtime goes on.
public final class FrameRecorder: Sendable {
    /// One line of a recording.
    public struct Line: Codable, Sendable, Equatable {
        public var receivedAt: Date
        public var frame: String

        public init(receivedAt: Date, frame: String) {
            self.receivedAt = receivedAt
            self.frame = frame
        }

        enum CodingKeys: String, CodingKey {
            case receivedAt = "received_at"
            case frame
        }
    }

    public let path: String
    private let file: Mutex<FileHandle>
    private let failing = Mutex(false)
    private let logger: Logger

    /// Opens `path` for appending, creating it owner-only if it is new. Every write lands
    /// at the end of the file (`O_APPEND`), even if the file is rotated or shared.
    public init(path: String, logger: Logger) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw RecorderError.cannotOpen(path: path) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        self.path = path
        self.file = Mutex(handle)
        self.logger = logger
    }

    /// Appends one frame.
    public func record(_ frame: String, receivedAt: Date) {
        do {
            var data = try Self.encoder.encode(Line(receivedAt: receivedAt, frame: frame))
            data.append(0x0A)
            try file.withLock { try $0.write(contentsOf: data) }
            failing.withLock { $0 = false }
        } catch {
            let first = failing.withLock { failing in
                defer { failing = true }
                return !failing
            }
            if first {
                logger.error(
                    "frame not recorded; recording goes on with the next frame that can be written",
                    metadata: [
                        "record.path": "\(path)", "error": "\(error)",
                    ])
            }
        }
    }

    /// Reads a recording back, in order; an error names the first line that cannot be read.
    public static func read(path: String) throws -> [Line] {
        let (lines, bad) = try readSkippingDamage(path: path)
        if let first = bad.first { throw RecorderError.badLine(path: path, line: first) }
        return lines
    }

    /// Reads a recording back, in order, skipping lines that cannot be read (a line cut
    /// short by a full disk, say); returns their line numbers too.
    public static func readSkippingDamage(path: String) throws -> (lines: [Line], badLines: [Int]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines: [Line] = []
        var bad: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            if let decoded = try? decoder.decode(Line.self, from: Data(line.utf8)) {
                lines.append(decoded)
            } else {
                bad.append(index + 1)
            }
        }
        return (lines, bad)
    }

    /// `2026-11-29T19:03:05.123Z`.
    private static let timestamps = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(timestamps))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = try? Date(text, strategy: timestamps) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }()
}

/// Why a recording could not be written or read.
public enum RecorderError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String)
    case badLine(path: String, line: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let path): "cannot open \(path) to record frames (check the folder exists and is writable)"
        case .badLine(let path, let line): "\(path):\(line): not a recorded frame"
        }
    }
}
