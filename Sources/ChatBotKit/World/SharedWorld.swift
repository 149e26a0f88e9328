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

    /// The current records of what a change touched, for the store.
    func records(for change: WorldModel.Change) -> (chats: [ChatRecord], users: [UserRecord]) {
        model.withLock { model in
            (change.chats.compactMap { model.chats[$0] }, change.users.compactMap { model.users[$0] })
        }
    }
}
