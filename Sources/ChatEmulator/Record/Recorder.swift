import ChatBotKit
import Foundation
import Synchronization

/// Keeps the ``EmulatorRecord``, safely from any request.
final class Recorder: Sendable {
    private let record = Mutex(EmulatorRecord())
    /// When each chat's `new_chat` frame was handed to the sockets: the start of the
    /// latency a benchmark measures up to the chat's first action.
    private let openings = Mutex([ChatID: Date]())

    func noteOpenings(in events: [ChatEvent]) {
        let now = Date()
        for case .newChat(let chat) in events {
            openings.withLock { $0[chat.chatID] = now }
        }
    }

    var chatsOpened: [ChatID: Date] {
        openings.withLock { $0 }
    }

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

    func recordOutsideCall() {
        record.withLock { $0.outsideCalls += 1 }
    }

    var snapshot: EmulatorRecord {
        record.withLock { $0 }
    }
}
