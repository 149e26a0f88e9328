import ChatBotKit
import Foundation

/// A timed script of frames and socket faults, played once the first socket connects.
///
/// The file is JSON Lines: one step per line, each waiting `delay_ms` after the
/// previous step, then doing one thing. Blank lines and lines starting with `#` are
/// skipped.
///
/// ```
/// {"delay_ms": 0,   "frame": {"event_type": "new_chat", "data": {"user_id": 5, "chat_id": 1, "chat_type": "order"}}}
/// {"delay_ms": 500, "raw": "not json: clients must survive this"}
/// {"delay_ms": 100, "close": 4001}
/// {"delay_ms": 100, "drop": true}
/// ```
public struct Scenario: Sendable, Equatable {
    /// One step of a scenario.
    public struct Step: Sendable, Equatable {
        /// What a step does.
        public enum Action: Sendable, Equatable {
            /// Send this text frame to every socket, byte for byte.
            case frame(String)
            /// Close every socket with this code.
            case close(UInt16)
            /// Drop every socket without a close frame.
            case drop
        }

        public var delay: Duration
        public var action: Action
    }

    /// A scenario line that could not be read: names the file and the line.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let file: String
        public let line: Int
        public let reason: String

        public init(file: String, line: Int, reason: String) {
            self.file = file
            self.line = line
            self.reason = reason
        }

        public var description: String { "\(file):\(line): \(reason)" }
    }

    public var steps: [Step]

    /// Reads a scenario file.
    public init(contentsOf path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ParseError(file: path, line: 0, reason: "cannot read the file (\(error.localizedDescription))")
        }
        try self.init(text: text, file: path)
    }

    /// Reads scenario text; `file` names it in errors.
    public init(text: String, file: String = "scenario") throws {
        var steps: [Step] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            do {
                steps.append(try Self.step(from: trimmed))
            } catch let reason as StepError {
                throw ParseError(file: file, line: index + 1, reason: reason.text)
            }
        }
        self.steps = steps
    }

    private struct StepError: Error {
        let text: String
    }

    private static func step(from line: String) throws -> Step {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), case .object(let fields) = json else {
            throw StepError(text: "not a JSON object")
        }
        let delay: Duration
        switch fields["delay_ms"] {
        case nil: delay = .zero
        case .integer(let milliseconds) where milliseconds >= 0: delay = .milliseconds(milliseconds)
        default: throw StepError(text: "\"delay_ms\" must be a whole number of milliseconds, 0 or more")
        }
        if let frame = fields["frame"] {
            let data = try JSONEncoder().encode(frame)
            return Step(delay: delay, action: .frame(String(decoding: data, as: UTF8.self)))
        }
        if let raw = fields["raw"] {
            guard case .string(let text) = raw else { throw StepError(text: "\"raw\" must be a string") }
            return Step(delay: delay, action: .frame(text))
        }
        if let close = fields["close"] {
            guard case .integer(let code) = close, (1000...4999).contains(code) else {
                throw StepError(text: "\"close\" must be a close code from 1000 to 4999")
            }
            return Step(delay: delay, action: .close(UInt16(code)))
        }
        if fields["drop"] == .bool(true) {
            return Step(delay: delay, action: .drop)
        }
        throw StepError(text: "a step needs one of \"frame\", \"raw\", \"close\" or \"drop\": true")
    }
}
