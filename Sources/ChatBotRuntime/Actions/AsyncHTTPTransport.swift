import ChatBotKit
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// ``HTTPTransport`` over AsyncHTTPClient's shared client.
public struct AsyncHTTPTransport: HTTPTransport {
    /// How long one request may take, answer included.
    public var timeout: Duration
    /// The largest answer body read; the rest is dropped.
    public var maxBodyBytes: Int

    public init(timeout: Duration = .seconds(10), maxBodyBytes: Int = 1 << 20) {
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
    }

    public func perform(_ request: OutgoingRequest) async throws -> IncomingResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers {
            outgoing.headers.add(name: name, value: value)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(data: body))
        }
        // Whole milliseconds, at least one: a sub-second timeout must not round to zero.
        let milliseconds = max(1, Int64(timeout.timeInterval * 1_000))
        let response = try await HTTPClient.shared.execute(outgoing, timeout: .milliseconds(milliseconds))
        var headers: [String: String] = [:]
        for header in response.headers {
            headers[header.name.lowercased()] = header.value
        }
        let body = try await response.body.collect(upTo: maxBodyBytes)
        return IncomingResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
    }
}
