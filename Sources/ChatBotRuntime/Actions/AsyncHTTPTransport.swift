import AsyncHTTPClient
import ChatBotKit
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// ``HTTPTransport`` over AsyncHTTPClient: its shared client, or one the caller made
/// (the delivery's, with a connection pool sized to what it sends at once).
public struct AsyncHTTPTransport: HTTPTransport {
    /// How long one request may take, answer included, unless the request says.
    public var timeout: Duration
    /// The largest answer body read; the rest is dropped.
    public var maxBodyBytes: Int
    private let client: HTTPClient

    public init(timeout: Duration = .seconds(10), maxBodyBytes: Int = 1 << 20, client: HTTPClient = .shared) {
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.client = client
    }

    /// A client whose pool keeps up to `connectionsPerHost` connections to each host:
    /// AsyncHTTPClient's shared one keeps 8, which at 250 ms an answer caps a host at
    /// 32 requests a second, whatever the delivery allows in flight. The caller shuts
    /// it down (`try await client.shutdown()`).
    public static func makeClient(connectionsPerHost: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
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
        let milliseconds = max(1, Int64((request.timeout ?? timeout).timeInterval * 1_000))
        let response = try await client.execute(outgoing, timeout: .milliseconds(milliseconds))
        var headers: [String: String] = [:]
        for header in response.headers {
            headers[header.name.lowercased()] = header.value
        }
        let body = try await response.body.collect(upTo: maxBodyBytes)
        return IncomingResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: body))
    }
}
