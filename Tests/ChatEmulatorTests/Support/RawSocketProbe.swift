import Foundation
import NIOCore
import Synchronization

/// A WebSocket client made of a bare TCP connection: it writes the handshake itself
/// and parses the server's bytes itself.
///
/// Used where frames may arrive in the same TCP segment as the `101` answer (a close
/// right after accepting, a scenario's first frame): swift-websocket's client 1.6.2
/// sometimes loses such frames under load, and a test must not depend on that.
final class RawSocketProbe: Sendable {
    /// A frame from the server.
    enum Frame: Equatable, Sendable {
        case text(String)
        case close(code: UInt16, reason: String)
        case other(opcode: UInt8)
    }

    private let connection: BareConnection

    /// The status line of the handshake answer, e.g. `HTTP/1.1 101 Switching Protocols`.
    let statusLine: String
    private let leftover: Mutex<ByteBuffer>

    /// Connects and sends the handshake for `path` (`/connect/?token=...`).
    init(port: Int, path: String, headers: [String: String] = [:]) async throws {
        connection = try await BareConnection(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try await connection.write(request + "\r\n")
        var buffer = ByteBuffer()
        while true {
            guard var chunk = await connection.nextBuffer(seconds: 30) else { throw RawProbeError("no handshake answer") }
            buffer.writeBuffer(&chunk)
            let text = String(buffer: buffer)
            if let end = text.range(of: "\r\n\r\n") {
                let headLength = text.utf8.distance(from: text.startIndex, to: end.upperBound)
                statusLine = String(text[..<(text.range(of: "\r\n")?.lowerBound ?? end.lowerBound)])
                buffer.moveReaderIndex(forwardBy: headLength)
                break
            }
        }
        leftover = Mutex(buffer)
    }

    func close() async {
        await connection.close()
    }

    /// The next frame, or `nil` when the connection ended without one.
    func nextFrame(seconds: Double = 30) async throws -> Frame? {
        while true {
            if let frame = leftover.withLock({ Self.parseFrame(from: &$0) }) {
                return frame
            }
            guard var chunk = await connection.nextBuffer(seconds: seconds) else { return nil }
            leftover.withLock { _ = $0.writeBuffer(&chunk) }
        }
    }

    /// Parses one unmasked server frame from the front of `buffer`, if it is all there.
    private static func parseFrame(from buffer: inout ByteBuffer) -> Frame? {
        var view = buffer
        guard let first = view.readInteger(as: UInt8.self), let second = view.readInteger(as: UInt8.self) else { return nil }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = view.readInteger(as: UInt16.self) else { return nil }
            length = Int(extended)
        } else if length == 127 {
            guard let extended = view.readInteger(as: UInt64.self) else { return nil }
            length = Int(extended)
        }
        guard var payload = view.readSlice(length: length) else { return nil }
        buffer = view
        switch first & 0x0F {
        case 0x1:
            return .text(String(buffer: payload))
        case 0x8:
            let code = payload.readInteger(as: UInt16.self) ?? 1005
            return .close(code: code, reason: String(buffer: payload))
        case let opcode:
            return .other(opcode: opcode)
        }
    }
}

struct RawProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
