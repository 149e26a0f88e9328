import ChatBotKit
import Foundation

/// Sends the bots' outside calls (``BotContext/ask(_:as:chat:payload:)``) over HTTP:
/// any service a bot asks, a classifier or a CRM. A dry run makes none: each is
/// answered as failed, so a bot's failure path runs instead.
struct HTTPOutsideCaller: OutsideCaller {
    let transport: any HTTPTransport
    let dryRun: Bool

    struct DryRun: Error, CustomStringConvertible {
        var description: String { "a dry run makes no outside calls" }
    }

    func call(_ request: OutsideRequest) async throws -> (status: Int, body: Data) {
        guard !dryRun else { throw DryRun() }
        let response = try await transport.perform(
            OutgoingRequest(
                method: request.method, url: request.url, headers: request.headers, body: request.body, timeout: request.timeout
            ))
        return (response.status, response.body)
    }
}
