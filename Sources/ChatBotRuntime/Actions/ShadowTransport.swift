import Foundation
import Logging

/// The transport of a dry run (`run --dry-run`): every action and alert the bots decide
/// is logged as what would have been sent, and answered 200 without leaving the process.
///
/// The runtime still connects and decides for real: only delivery is replaced.
struct ShadowTransport: HTTPTransport {
    let apiBaseURL: String
    let alertWebhook: String?
    let logger: Logger

    func perform(_ request: OutgoingRequest) async throws -> IncomingResponse {
        // Only backend routes are named: an alert webhook's URL carries its secret in the path.
        let target =
            request.url == alertWebhook
            ? "the alert webhook"
            : request.url.hasPrefix(apiBaseURL)
                ? String(request.url.dropFirst(apiBaseURL.count))
                : "a URL outside the API"
        var metadata: Logger.Metadata = ["http.method": "\(request.method)", "http.target": "\(SocketURL.redacted(target))"]
        if let body = request.body { metadata["http.body_bytes"] = "\(body.count)" }
        logger.notice("dry run: not sent", metadata: metadata)
        return IncomingResponse(status: 200)
    }
}
