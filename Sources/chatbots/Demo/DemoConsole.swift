import Foundation
import Logging
import Synchronization

/// Prints the runtime's log as the demo's live story: each event, each bot decision,
/// each action delivered, each alert; one short line each, in order.
final class DemoConsole: Sendable {
    private let showEvents: Bool
    private let write: Mutex<(String) -> Void>

    /// - Parameter write: Where lines go; standard output by default.
    init(showEvents: Bool, write: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) {
        self.showEvents = showEvents
        self.write = Mutex(write)
    }

    /// A log handler that writes to this console.
    func handler() -> some LogHandler {
        DemoLogHandler(console: self)
    }

    func print(_ text: String) {
        write.withLock { $0(text) }
    }

    func banner(port: Int, rate: Double, bots: [String], store: String, desk: String) {
        print(
            """
            chatbots demo — an emulator on 127.0.0.1:\(port) generating \(String(format: "%g", rate)) events/s; bots: \(bots.joined(separator: ", "))
              desk:  \(desk)
              store: \(store)
              Ctrl-C stops it, lets the bots finish, and prints a summary.

            """)
    }

    /// One log record, as a story line, or nothing if it is not part of the story.
    func story(level: Logger.Level, message: String, metadata: Logger.Metadata) {
        func value(_ key: String) -> String? { metadata[key].map { "\($0)" } }
        let chat = value("chat.id").map { "chat \($0)" } ?? ""
        let line: String?
        switch message {
        case "event":
            line = showEvents ? row("event", value("event.type") ?? "", chat, value("event.summary") ?? "") : nil
        case "delivered" where value("action.kind") == "alert":
            line = nil  // the alert's own line said it
        case "delivered":
            line = row("act", value("action.kind") ?? "", chat, "delivered (\(value("bot.name") ?? "?"))")
        case _ where message.hasPrefix("alert: "):
            line = row("ALERT", value("bot.name") ?? "", chat, String(message.dropFirst("alert: ".count)))
        case "connected", "stopped", "stopping: reading stopped; letting handlers finish and commit":
            line = row("run", "runtime", "", message)
        case _ where message.hasPrefix("reconnected") || message.hasPrefix("monitoring on "):
            line = row("run", "runtime", "", message)
        case _ where value("bot.name") != nil && level >= .info:
            line = row("decide", value("bot.name") ?? "", chat, decision(message, value))
        case _ where level >= .warning:
            line = row("warn", value("bot.name") ?? "runtime", chat, message + (value("error").map { ": \($0)" } ?? ""))
        default:
            line = nil
        }
        if let line { print(line) }
    }

    private func decision(_ message: String, _ value: (String) -> String?) -> String {
        switch message {
        case "chat assigned":
            "→ \(value("curator.id") ?? "?")  · \(value("assign.tie_break") ?? "")"
        case "nobody can take the chat; it waits":
            "waits in the queue at \(value("queue.position") ?? "?") · \(value("assign.excluded") ?? "")"
        case "after-hours reply":
            "auto-reply in \(value("reply.language") ?? "?"); desk reopens \(value("hours.reopen_at") ?? "?")"
        default:
            message
        }
    }

    private func row(_ kind: String, _ who: String, _ chat: String, _ text: String) -> String {
        let time = DemoHours.clockTime(Date()) + ":" + String(format: "%02d", Int(Date().timeIntervalSince1970) % 60)
        return "\(time)  \(pad(kind, 6))  \(pad(who, 18))  \(pad(chat, 9))  \(text)"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// Hands every record at debug or above to the console.
struct DemoLogHandler: LogHandler {
    let console: DemoConsole
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        console.story(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { _, new in new })
    }
}
