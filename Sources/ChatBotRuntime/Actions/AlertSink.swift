import ChatBotKit
import Foundation

/// Where alerts go: a webhook that takes `{"text": ..., "alert": {...}}` (Slack and
/// Mattermost incoming webhooks read `text`), and always the log.
@Configurable
public struct AlertSink: Sendable, Equatable {
    /// The webhook URL; `nil` for the log only.
    public var webhookURL: String?

    /// The webhook request for an alert, or `nil` when there is no webhook.
    func request(for alert: Alert, idempotencyKey: String) -> OutgoingRequest? {
        guard let webhookURL else { return nil }
        var details: [String: JSONValue] = alert.details
        details["level"] = .string(alert.level.rawValue)
        if let chat = alert.chatID { details["chat_id"] = .string(chat.rawValue) }
        details["idempotency_key"] = .string(idempotencyKey)
        let payload: JSONValue = .object(["text": .string(alert.text), "alert": .object(details)])
        let body = (try? JSONEncoder().encode(payload)) ?? Data("{}".utf8)
        return OutgoingRequest(
            method: "POST", url: webhookURL,
            headers: ["Content-Type": "application/json", "Idempotency-Key": idempotencyKey], body: body
        )
    }
}
