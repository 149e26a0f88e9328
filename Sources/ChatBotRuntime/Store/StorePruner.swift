import ChatBotKit
import CoreMetrics
import Foundation
import Logging

/// Deletes what the store no longer needs, by ``RetentionSection``: delivered and
/// expired actions, and dead letters, once they settled long enough ago.
///
/// It deletes in batches of `prune_batch` rows, one short transaction each, and lets
/// other work in between: a commit of the engine waits at most for one batch. What it
/// deleted is counted in `chatbots_pruned_total{what}`. A failed pass is logged and
/// tried again at the next; it never stops the runtime (a store that cannot be written
/// stops the engine's commits, which say so).
struct StorePruner: Sendable {
    let store: SQLiteStore
    let retention: RetentionSection
    let clock: any EngineClock
    let logger: Logger
    private let deleted: [SQLiteStore.SettledActions: Counter]

    init(store: SQLiteStore, retention: RetentionSection, clock: any EngineClock = SystemClock(), logger: Logger, factory: any MetricsFactory) {
        self.store = store
        self.retention = retention
        self.clock = clock
        self.logger = logger
        deleted = Dictionary(uniqueKeysWithValues: SQLiteStore.SettledActions.allCases.map { kind in
            (kind, Counter(label: "chatbots_pruned_total", dimensions: [("what", Self.label(of: kind))], factory: factory))
        })
    }

    /// Prunes now, then every `prune_every`, until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                try await pruneOnce()
            } catch is CancellationError {
                return
            } catch {
                logger.error("pruning the store failed; tried again at the next pass", metadata: ["error": "\(error)"])
            }
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(retention.pruneEvery.timeInterval))
            } catch {
                return
            }
        }
    }

    /// One pass: deletes every row past its period, a batch at a time; returns how many
    /// of each kind.
    @discardableResult
    func pruneOnce() async throws -> [SQLiteStore.SettledActions: Int] {
        let now = clock.now()
        var removed: [SQLiteStore.SettledActions: Int] = [:]
        for kind in SQLiteStore.SettledActions.allCases {
            let period = kind == .dead ? retention.deadLetters : retention.deliveredActions
            let cutoff = now.addingTimeInterval(-period.timeInterval)
            while true {
                try Task.checkCancellation()
                let count = try await store.deleteSettledActions(kind, settledBefore: cutoff, limit: retention.pruneBatch)
                removed[kind, default: 0] += count
                deleted[kind]?.increment(by: count)
                guard count == retention.pruneBatch else { break }
                await Task.yield()
            }
        }
        if removed.values.contains(where: { $0 > 0 }) {
            logger.info("pruned the store", metadata: [
                "pruned.delivered_actions": "\(removed[.done] ?? 0)", "pruned.dead_letters": "\(removed[.dead] ?? 0)",
            ])
        }
        return removed
    }

    static func label(of kind: SQLiteStore.SettledActions) -> String {
        switch kind {
        case .done: "delivered_actions"
        case .dead: "dead_letters"
        }
    }
}
