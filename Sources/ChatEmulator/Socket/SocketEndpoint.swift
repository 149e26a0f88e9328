import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Decides each WebSocket handshake on `/connect/?token=...` as the backend does.
///
/// A valid token is upgraded. A bad or expired one is, by default, upgraded and then
/// closed with 4001 (a Channels consumer that accepts, then closes); with
/// ``EmulatorConfiguration/refusesBadTokensAtHandshake`` it is refused with HTTP 403
/// instead, as is a socket without `Origin` when an origin is required.
struct SocketEndpoint: Sendable {
    let core: EmulatorCore

    func shouldUpgrade(
        request: HTTPRequest, channel: any Channel, logger: Logger
    ) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let uri = URI(request.path ?? "/")
        guard uri.path == "/connect/" || uri.path == "/connect" else {
            try await Self.refuse(channel, status: .notFound)
            return .dontUpgrade
        }
        if let refusal = core.faults.handshakeRefusal {
            logger.info("socket refused: handshake fault in force", metadata: ["emulator.status": "\(refusal)"])
            try await Self.refuse(channel, status: HTTPResponseStatus(statusCode: refusal))
            return .dontUpgrade
        }
        let configuration = core.configuration
        if configuration.requiresOrigin, request.headerFields[.origin] == nil {
            logger.info("socket refused: no Origin header")
            try await Self.refuse(channel, status: .forbidden)
            return .dontUpgrade
        }
        let token = uri.queryParameters.get("token")
        let verdict = core.tokens.validate(token)
        if configuration.refusesBadTokensAtHandshake, case .failure(let refusal) = verdict {
            logger.info("socket refused at the handshake", metadata: ["emulator.token": "\(refusal)"])
            try await Self.refuse(channel, status: .forbidden)
            return .dontUpgrade
        }
        let grant: TokenIssuer.Grant
        switch verdict {
        case .failure(let refusal):
            return .upgrade([:]) { _, outbound, context in
                context.logger.info("socket closed with 4001", metadata: ["emulator.token": "\(refusal)"])
                try await outbound.close(.init(codeNumber: Int(SocketSession.tokenCloseCode)), reason: "invalid token")
            }
        case .success(let valid):
            grant = valid
        }
        // The socket joins the hub before the handshake is answered, so a fault or a
        // revocation sent once the client sees it open reaches it. A revocation that
        // came between the check above and joining is caught by checking again.
        let hub = core.hub
        let (id, commands) = hub.register(channel: channel)
        channel.closeFuture.whenComplete { _ in hub.unregister(id) }
        if case .failure = core.tokens.validate(token) {
            hub.send(.close(code: SocketSession.tokenCloseCode, reason: "token revoked"), to: id)
        }
        return .upgrade([:]) { inbound, outbound, context in
            let remaining = grant.expiresAt.timeIntervalSinceNow
            let session = SocketSession(
                hub: hub, channel: channel, id: id, commands: commands,
                tokenExpiry: .now + .milliseconds(Int64(max(0, remaining) * 1_000)),
                logger: context.logger
            )
            await session.run(inbound: inbound, outbound: outbound)
        }
    }

    /// Answers the handshake with a plain HTTP error and closes the connection, as
    /// daphne does for a consumer that refuses before accepting.
    private static func refuse(_ channel: any Channel, status: HTTPResponseStatus) async throws {
        let body = "\(status.code) \(status.reasonPhrase)\n"
        let headers = HTTPHeaders([
            ("content-type", "text/plain"), ("content-length", "\(body.utf8.count)"), ("connection", "close"),
        ])
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        try await channel.close()
    }
}
