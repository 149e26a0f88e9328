import ChatBotKit
import CoreMetrics
import Foundation
import Logging

/// Lets go of what the runtime no longer needs, by ``RetentionSection``: closed chats
/// quiet long enough leave the engine's memory (with their bots' state and timers),
/// then their rows leave the store; delivered and expired actions, and dead letters,
/// leave the store once they settled long enough ago.
///
/// Everything goes in slices: the engine forgets at most a thousand chats per input,
/// in its turn among the events, and the store deletes `prune_batch` rows per short
/// transaction, so a commit waits at most for one. What went is counted in
/// `chatbots_pruned_total{what}`. A failed pass is logged and tried again at the next;
/// it never stops the runtime (a store that cannot be written stops the engine's
/// commits, which say so).
struct StorePruner: Sendable {
    /// What a pass lets go of: the label of `chatbots_pruned_total{what}`.
    enum What: String, CaseIterable, Sendable {
        case chatsForgotten = "chats_forgotten"
        case chatsDeleted = "chats_deleted"
        case deliveredActions = "delivered_actions"
        case deadLetters = "dead_letters"
    }

    let store: any RuntimeStore
    let retention: RetentionSection
    let clock: any EngineClock
    let logger: Logger
    /// Forgets closed chats quiet for that long, in the engine; returns how many.
    let forgetChats: (@Sendable (Duration) async throws -> Int)?
    private let counters: [What: Counter]

    init(
        store: any RuntimeStore, retention: RetentionSection, clock: any EngineClock = SystemClock(), logger: Logger, factory: any MetricsFactory,
        forgetChats: (@Sendable (Duration) async throws -> Int)? = nil
    ) {
        self.store = store
        self.retention = retention
        self.clock = clock
        self.logger = logger
        self.forgetChats = forgetChats
        counters = Dictionary(
            uniqueKeysWithValues: What.allCases.map { what in
                (what, Counter(label: "chatbots_pruned_total", dimensions: [("what", what.rawValue)], factory: factory))
            })
    }

    /// Prunes now, then every `prune_every`, until cancelled. After a pass that forgot
    /// chats, the memory they held goes back to the system (glibc keeps what is freed
    /// for later mallocs, so a desk's resident set would otherwise stay at its peak).
    func run() async {
        while !Task.isCancelled {
            do {
                let removed = try await pruneOnce()
                if removed[.chatsForgotten, default: 0] > 0 { returnFreedMemory() }
            } catch is CancellationError {
                return
            } catch {
                logger.error("pruning failed; tried again at the next pass", metadata: ["error": "\(error)"])
            }
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(retention.pruneEvery.timeInterval))
            } catch {
                return
            }
        }
    }

    /// One pass: lets go of everything past its period, a slice at a time; returns how
    /// much of each.
    @discardableResult
    func pruneOnce() async throws -> [What: Int] {
        let now = clock.now()
        var removed: [What: Int] = [:]
        if let forgetChats {
            let quiet = Duration.seconds(retention.closedChatsInMemory.seconds)
            try await repeatInSlices(of: Engine.chatsForgottenPerCall, counting: .chatsForgotten, into: &removed) {
                try await forgetChats(quiet)
            }
        }
        try await repeatInSlices(of: retention.pruneBatch, counting: .chatsDeleted, into: &removed) {
            let cutoff = now.addingTimeInterval(-retention.closedChatsInStore.timeInterval)
            return try await store.deleteForgottenChats(quietBefore: cutoff, limit: retention.pruneBatch)
        }
        try await repeatInSlices(of: retention.pruneBatch, counting: .deliveredActions, into: &removed) {
            let cutoff = now.addingTimeInterval(-retention.deliveredActions.timeInterval)
            return try await store.deleteSettledActions(.done, settledBefore: cutoff, limit: retention.pruneBatch)
        }
        try await repeatInSlices(of: retention.pruneBatch, counting: .deadLetters, into: &removed) {
            try await store.deleteSettledActions(
                .dead, settledBefore: now.addingTimeInterval(-retention.deadLetters.timeInterval), limit: retention.pruneBatch)
        }
        if removed.values.contains(where: { $0 > 0 }) {
            var metadata: Logger.Metadata = [:]
            for what in What.allCases { metadata["pruned.\(what.rawValue)"] = "\(removed[what] ?? 0)" }
            logger.info("retention: let go of closed chats and settled actions", metadata: metadata)
        }
        return removed
    }

    /// Runs `slice` until it returns fewer than `size`, counting what it removed.
    private func repeatInSlices(
        of size: Int, counting what: What, into removed: inout [What: Int], _ slice: () async throws -> Int
    ) async throws {
        while true {
            try Task.checkCancellation()
            let count = try await slice()
            removed[what, default: 0] += count
            counters[what]?.increment(by: count)
            guard count >= size else { return }
            await Task.yield()
        }
    }
}
