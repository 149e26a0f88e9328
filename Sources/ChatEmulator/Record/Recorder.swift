import ChatBotKit
import Foundation
import Synchronization

/// Keeps the ``EmulatorRecord``, safely from any request: all of it, or with `kept`,
/// about the latest `kept` entries of each list (the oldest half goes once twice that
/// many are held).
final class Recorder: Sendable {
    private let record = Mutex(EmulatorRecord())
    /// When each chat's `new_chat` frame was handed to the sockets: the start of the
    /// latency a benchmark measures up to the chat's first action.
    private let openings = Mutex([ChatID: Date]())
    private let kept: Int?

    init(kept: Int? = nil) {
        self.kept = kept.map { max(1, $0) }
    }

    func noteOpenings(in events: [ChatEvent]) {
        let now = Date()
        for case .newChat(let chat) in events {
            openings.withLock { openings in
                openings[chat.chatID] = now
                if let kept, openings.count > 2 * kept {
                    let cutoff = openings.values.sorted()[openings.count - kept]
                    openings = openings.filter { $0.value >= cutoff }
                }
            }
        }
    }

    private func trim<Entry>(_ entries: inout [Entry]) {
        if let kept, entries.count > 2 * kept { entries.removeFirst(entries.count - kept) }
    }

    var chatsOpened: [ChatID: Date] {
        openings.withLock { $0 }
    }

    func recordAction(
        method: String, path: String, idempotencyKey: String?, body: JSONValue,
        status: Int, outcome: RecordedAction.Outcome
    ) {
        record.withLock { record in
            // Numbered on from the last kept: trimming leaves the latest.
            record.actions.append(
                RecordedAction(
                    sequence: (record.actions.last?.sequence ?? 0) + 1, receivedAt: Date(), method: method, path: path,
                    idempotencyKey: idempotencyKey, body: body, status: status, outcome: outcome
                ))
            trim(&record.actions)
        }
    }

    func recordAlert(path: String, body: JSONValue) {
        record.withLock { record in
            record.alerts.append(RecordedAlert(sequence: (record.alerts.last?.sequence ?? 0) + 1, receivedAt: Date(), path: path, body: body))
            trim(&record.alerts)
        }
    }

    func recordOutsideCall() {
        record.withLock { $0.outsideCalls += 1 }
    }

    var snapshot: EmulatorRecord {
        record.withLock { $0 }
    }
}
