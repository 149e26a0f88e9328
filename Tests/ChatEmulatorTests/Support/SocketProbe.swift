import Logging
import NIOCore
import NIOWebSocket
import WSClient

/// A real WebSocket client on a background task, whose frames a test reads in order.
final class SocketProbe: Sendable {
    /// What happened on the socket.
    enum Happening: Sendable {
        case opened
        case text(String)
        case binary(Int)
        /// The connection ended: the server's close frame, or `nil` if it sent none.
        case ended(WebSocketCloseFrame?)
        /// The connection could not be made, or broke with an error.
        case failed(String)
    }

    private let mailbox: Mailbox<Happening>
    private let task: Task<Void, Never>

    /// Connects to `url`; read ``next()`` to see what happens.
    init(url: String, configuration: WebSocketClientConfiguration = WebSocketClientConfiguration()) {
        let mailbox = Mailbox<Happening>()
        self.mailbox = mailbox
        var logger = Logger(label: "test.socket")
        logger.logLevel = .critical
        task = Task {
            do {
                let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, _, _ in
                    mailbox.put(.opened)
                    for try await message in inbound.messages(maxSize: 8 << 20) {
                        switch message {
                        case .text(let text): mailbox.put(.text(text))
                        case .binary(let buffer): mailbox.put(.binary(buffer.readableBytes))
                        }
                    }
                }
                mailbox.put(.ended(close))
            } catch {
                mailbox.put(.failed("\(error)"))
            }
            mailbox.close()
        }
    }

    deinit {
        task.cancel()
    }

    /// The next thing that happened, waiting up to `seconds`.
    func next(seconds: Double = 30) async throws -> Happening {
        guard let happening = await mailbox.take(seconds: seconds) else {
            throw ProbeError.nothing(seconds: seconds)
        }
        return happening
    }

    /// Waits until the socket is open; throws if it failed or ended instead.
    func waitUntilOpen() async throws {
        let first = try await next()
        guard case .opened = first else { throw ProbeError.unexpected("expected the socket to open, got \(first)") }
    }

    /// The next text frame; throws if the socket ended first.
    func nextText(seconds: Double = 30) async throws -> String {
        let happening = try await next(seconds: seconds)
        guard case .text(let text) = happening else { throw ProbeError.unexpected("expected a text frame, got \(happening)") }
        return text
    }

    /// Text frames up to and including the first one containing `marker`.
    func texts(through marker: String, seconds: Double = 30) async throws -> [String] {
        var texts: [String] = []
        while true {
            let text = try await nextText(seconds: seconds)
            texts.append(text)
            if text.contains(marker) { return texts }
        }
    }

    /// Skips frames until the connection ends, and returns how it ended.
    func end(seconds: Double = 30) async throws -> WebSocketCloseFrame? {
        while true {
            switch try await next(seconds: seconds) {
            case .ended(let close): return close
            case .failed(let reason): throw ProbeError.unexpected("the socket failed: \(reason)")
            default: continue
            }
        }
    }

    /// Closes the client side.
    func cancel() {
        task.cancel()
    }

    enum ProbeError: Error, CustomStringConvertible {
        case nothing(seconds: Double)
        case unexpected(String)

        var description: String {
            switch self {
            case .nothing(let seconds): "nothing happened on the socket within \(seconds) s"
            case .unexpected(let text): text
            }
        }
    }
}
