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

    /// What a change touched, as a store writes it (see ``WorldModel/commit(for:)``).
    func commit(for change: WorldModel.Change) -> Commit {
        model.withLock { $0.commit(for: change) }
    }
}
