import Foundation
import Synchronization

/// The world model shared by the engine's lanes, behind a lock.
final class SharedWorld: Sendable {
    private let model: Mutex<WorldModel>

    init(_ model: WorldModel) {
        self.model = Mutex(model)
    }

    func apply(_ event: ChatEvent, at date: Date) -> WorldModel.Change {
        model.withLock { $0.apply(event, at: date) }
    }

    func read<Result>(_ body: (WorldModel) -> Result) -> Result {
        model.withLock { body($0) }
    }

    func update<Result>(_ body: (inout WorldModel) -> Result) -> Result {
        model.withLock { body(&$0) }
    }

    /// The current records of what a change touched, for the store: the chats and users,
    /// the recorded messages still kept, and the messages no longer kept.
    func records(for change: WorldModel.Change) -> (chats: [ChatRecord], users: [UserRecord], messages: [StoredMessage], removed: [MessageKey]) {
        model.withLock { model in
            let chats = change.chats.compactMap { model.chats[$0] }
            let users = change.users.compactMap { model.users[$0] }
            let messages = change.messagesAdded.sorted().compactMap { key in
                model.chats[key.chatID]?.message(at: key.sequence).map { StoredMessage(chatID: key.chatID, message: $0) }
            }
            return (chats, users, messages, change.messagesRemoved.sorted())
        }
    }
}
