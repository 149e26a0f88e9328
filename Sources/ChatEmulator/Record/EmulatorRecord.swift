import ChatBotKit
import Foundation

/// What the emulator received: every action request and every alert, in order.
///
/// Tests read it to check what a runtime did; a person reads it at
/// `GET /emulator/record`.
public struct EmulatorRecord: Codable, Sendable {
    /// Action requests, in the order they arrived.
    public var actions: [RecordedAction]
    /// Alerts posted to the webhook sink, in the order they arrived.
    public var alerts: [RecordedAlert]
    /// Calls to the outside service (`POST /outside/echo`).
    public var outsideCalls = 0

    public init(actions: [RecordedAction] = [], alerts: [RecordedAlert] = []) {
        self.actions = actions
        self.alerts = alerts
    }

    /// The actions that changed the emulator's state (not replays, not failures).
    public var appliedActions: [RecordedAction] {
        actions.filter { $0.outcome == .applied }
    }
}

/// One action request as the emulator saw and answered it.
public struct RecordedAction: Codable, Sendable, Equatable {
    /// What became of the request.
    public enum Outcome: String, Codable, Sendable {
        /// Applied to the emulator's state and broadcast.
        case applied
        /// A repeat of an `Idempotency-Key` already applied: answered again, not applied.
        case replayed
        /// Failed on purpose by a fault knob; not applied.
        case injectedFailure = "injected_failure"
        /// Refused: bad token, unknown chat, bad body. Not applied.
        case refused
    }

    public var sequence: Int
    public var receivedAt: Date
    public var method: String
    public var path: String
    public var idempotencyKey: String?
    /// The request body as JSON, or `.null` when it was empty or not JSON.
    public var body: JSONValue
    public var status: Int
    public var outcome: Outcome

    enum CodingKeys: String, CodingKey {
        case sequence, method, path, body, status, outcome
        case receivedAt = "received_at"
        case idempotencyKey = "idempotency_key"
    }
}

/// One alert posted to the webhook sink.
public struct RecordedAlert: Codable, Sendable, Equatable {
    public var sequence: Int
    public var receivedAt: Date
    /// The path it was posted to, under `/hooks/`.
    public var path: String
    /// The posted JSON (`{"text": ..., "alert": {...}}` from the runtime).
    public var body: JSONValue

    enum CodingKeys: String, CodingKey {
        case sequence, path, body
        case receivedAt = "received_at"
    }
}
