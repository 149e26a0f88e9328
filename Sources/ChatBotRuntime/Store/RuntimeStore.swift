import ChatBotKit
import Foundation

/// The store as the runtime and its commands use it: what the engine needs
/// (``StateOnDemandStore``), plus retention, the counts `/ready` and `/metrics` show,
/// and what `chatbots state` reads and re-queues.
///
/// Two stores meet it with the same guarantees: ``SQLiteStore``, one file, the
/// embedded default; and ``PostgresStore``, a PostgreSQL database that two runtimes
/// share. Nothing above this boundary knows which it has.
public protocol RuntimeStore: StateOnDemandStore {
    /// Where the store is, for logs and errors: a file's path, or a database's URL
    /// without its password.
    var location: String { get }

    /// Deletes up to `limit` settled actions of `kind` that settled before `date`,
    /// oldest first, in one short transaction; returns how many it deleted. Pending
    /// actions are never deleted.
    func deleteSettledActions(_ kind: SettledActions, settledBefore date: Date, limit: Int) async throws -> Int

    /// Deletes up to `limit` rows of chats that retention forgot and whose last event
    /// came before `date`, oldest first; returns how many. (Their messages, state and
    /// timers went when they were forgotten.)
    func deleteForgottenChats(quietBefore date: Date, limit: Int) async throws -> Int

    /// How many actions wait for delivery, how many are dead letters, and when the
    /// oldest waiting one was committed, in one read.
    func outboxCounts() async throws -> OutboxCounts

    /// Whether a commit could start now (for `/ready`); throws what the store says.
    func checkWritable() async throws

    /// The whole store at a glance.
    ///
    /// - Parameter closedStatuses: The statuses that close a chat (the config's
    ///   `engine.closed_statuses`).
    func summary(closedStatuses: Set<ChatStatus>) async throws -> StoreSummary

    /// Everything about one chat; `nil` if the store never saw it.
    func inspect(chat id: ChatID) async throws -> ChatInspection?

    /// Dead letters and actions that expired unsent, oldest first.
    func deadLetterList() async throws -> [DeadLetter]

    /// Puts dead letters back in the outbox, due `now`, with their idempotency keys; a
    /// running runtime delivers them at its next look. Returns the ids re-queued (the
    /// ids they had as dead letters).
    ///
    /// Each moves to the end of the outbox (a new, highest id): the delivery reads
    /// forward from the last id it saw, and would never see a row put back behind it.
    /// Its maximum age and backoff count from now, and it no longer expires: a person
    /// asked for it to go.
    func requeueDeadLetters(_ ids: [Int64]?, now: Date) async throws -> [Int64]

    /// Lets go of connections and background work; the store is not used after.
    func close() async
}

extension RuntimeStore {
    /// How many actions wait for delivery.
    public func pendingActionCount() async throws -> Int {
        try await outboxCounts().pending
    }

    public func summary() async throws -> StoreSummary {
        try await summary(closedStatuses: [.closed, .resolved, .archived])
    }

    @discardableResult
    public func requeueDeadLetters(_ ids: [Int64]? = nil) async throws -> [Int64] {
        try await requeueDeadLetters(ids, now: Date())
    }
}

/// Settled actions as retention deletes them.
public enum SettledActions: String, Sendable, CaseIterable {
    /// Delivered, or expired before they were sent.
    case done
    /// Refused for good (dead letters).
    case dead

    /// The outbox statuses of this kind, as an SQL list.
    var statuses: String {
        switch self {
        case .done: "'delivered', 'expired'"
        case .dead: "'dead'"
        }
    }
}

/// The outbox at a glance, for `/ready` and `/metrics`.
public struct OutboxCounts: Sendable, Equatable {
    /// Actions waiting for delivery.
    public var pending: Int
    /// Actions the backend refused for good, or given up on.
    public var dead: Int
    /// When the oldest action still waiting was committed; `nil` when none waits.
    public var oldestPendingCreatedAt: Date?

    public init(pending: Int, dead: Int, oldestPendingCreatedAt: Date?) {
        self.pending = pending
        self.dead = dead
        self.oldestPendingCreatedAt = oldestPendingCreatedAt
    }
}
