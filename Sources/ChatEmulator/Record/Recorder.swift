import ChatBotKit
import Foundation
import Synchronization

/// Keeps the ``EmulatorRecord``, safely from any request.
final class Recorder: Sendable {
    private let record = Mutex(EmulatorRecord())

    func recordAction(
        method: String, path: String, idempotencyKey: String?, body: JSONValue,
        status: Int, outcome: RecordedAction.Outcome
    ) {
        record.withLock { record in
            record.actions.append(RecordedAction(
                sequence: record.actions.count + 1, receivedAt: Date(), method: method, path: path,
                idempotencyKey: idempotencyKey, body: body, status: status, outcome: outcome
            ))
        }
    }

    func recordAlert(path: String, body: JSONValue) {
        record.withLock { record in
            record.alerts.append(RecordedAlert(sequence: record.alerts.count + 1, receivedAt: Date(), path: path, body: body))
        }
    }

    var snapshot: EmulatorRecord {
        record.withLock { $0 }
    }
}
