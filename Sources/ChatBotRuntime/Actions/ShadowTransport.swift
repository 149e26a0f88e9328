import Foundation
import Logging

/// The transport of a dry run (`run --dry-run`): every action and alert the bots decide
/// is logged as what would have been sent, and answered 200 without leaving the process.
///
/// The runtime still connects and decides for real: only delivery is replaced.
struct ShadowTransport: HTTPTransport {
    let logger: Logger

    func perform(_ request: OutgoingRequest) async throws -> IncomingResponse {
        var metadata: Logger.Metadata = ["http.method": "\(request.method)", "http.url": "\(SocketURL.redacted(request.url))"]
        if let body = request.body { metadata["http.body_bytes"] = "\(body.count)" }
        logger.notice("dry run: not sent", metadata: metadata)
        return IncomingResponse(status: 200)
    }
}
