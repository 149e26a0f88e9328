import AsyncHTTPClient
import ChatBotKit
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

extension BotRuntime {
    /// Runtimes that share a PostgreSQL store take turns: each stands by until it takes
    /// the leader's lease, then leads (loads the store, connects, catches up, decides,
    /// delivers) until it stops or loses the lease, and stands by again.
    ///
    /// A turn's parts write through the store fenced by the turn's term, and deliver
    /// only while the term holds by this process's clock, so a leader that lost its lease
    /// (paused, cut off from the database) can neither commit nor send more than the
    /// requests already in the air. Losing the lease stops the turn's parts at once;
    /// what they had not committed is left to the next leader, which loads the store
    /// and catches up. The endpoint and SIGHUP serve across turns.
    func runTakingTurns(
        _ store: PostgresStore, lease: LeaderLease, deliveryClient: HTTPClient, hangups: UnixSignalsSequence?
    ) async throws {
        let turns = Leadership(store: store, lease: lease, logger: logger)
        leadership.withLock { $0 = turns }
        // Signed in while standing by: wrong credentials show now, not at the takeover,
        // and the first token is ready when the lease is.
        let tokens = try makeTokenProvider()
        do {
            _ = try await tokens.token()
            logger.info("signed in; the standby is ready to lead")
        } catch {
            logger.error("could not sign in; standing by all the same, the takeover will try again", metadata: ["error": "\(error)"])
        }
        logger.notice(
            "standing by for the leader's lease",
            metadata: [
                "lease.holder": "\(lease.holder)", "lease.ttl": "\(lease.timeToLive)", "store": "\(store.location)",
            ])
        /// What ended: the turns (the runtime is stopping), or a helper beside them.
        enum Ended { case turns, helper }
        try await withThrowingTaskGroup(of: Ended.self) { group in
            group.addTask {
                await turns.run()
                return .helper
            }
            if let server = monitoringServer() {
                // A failure to serve (a port taken) ends the runtime, as without turns.
                group.addTask {
                    try await server.run()
                    return .helper
                }
            }
            if let hangups, let source = reloadSource {
                group.addTask {
                    for await _ in hangups { await self.reload(from: source) }
                    return .helper
                }
            }
            group.addTask {
                await self.takeTurns(store: store, turns: turns, tokens: tokens, deliveryClient: deliveryClient)
                return .turns
            }
            defer { group.cancelAll() }
            while let ended = try await group.next(), ended != .turns {}
        }
    }

    /// Leads whenever the lease is taken, stands by in between, until a stop.
    private func takeTurns(store: PostgresStore, turns: Leadership, tokens: any TokenProvider, deliveryClient: HTTPClient) async {
        // A stop may come while the lease is being taken: once it has, this runtime
        // leads no more, whatever the lease says.
        while !Task.isShuttingDownGracefully, !Task.isCancelled,
            let term = await cancelWhenGracefulShutdown({ await turns.waitUntilLeading() }), !Task.isShuttingDownGracefully
        {
            let lost = await lead(term: term, store: store, turns: turns, tokens: tokens, deliveryClient: deliveryClient)
            guard lost else { break }
            logger.notice("standing by for the leader's lease", metadata: ["lease.term": "\(term)"])
        }
        // Stopping: no more looks at the lease, and one held is given up, so a standby
        // takes over at once.
        await turns.retire()
    }

    /// One turn as leader; returns whether it ended by losing the lease (`false`: the
    /// runtime is stopping).
    private func lead(term: Int64, store: PostgresStore, turns: Leadership, tokens: any TokenProvider, deliveryClient: HTTPClient) async -> Bool {
        let loadStarted = ContinuousClock.now
        let parts: Parts
        do {
            parts = try await assemble(
                store: store.fenced(by: .init(lease: turns.lease, term: term)), deliveryClient: deliveryClient, tokens: tokens,
                mayDeliver: { turns.currentTerm() == term }
            )
        } catch {
            // The lease lost meanwhile, the database gone, the token endpoint refusing:
            // stand by, and try again once the lease can be taken.
            turns.stepDown(from: term, because: "the turn could not start: \(PostgresErrorText.describe(error))")
            return true
        }
        publish(parts)
        logger.notice(
            "leading: store loaded, reading events",
            metadata: [
                "lease.term": "\(term)", "engine.chats": "\(parts.engine.worldModel.chats.count)",
                "takeover.load_seconds":
                    "\((ContinuousClock.now - loadStarted).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 3))))",
            ])
        defer { publish(nil) }
        // The parts run in a task of their own, so that losing the lease never waits on
        // them: they are cancelled, given a moment to stop, and otherwise left behind.
        // Left behind they can do no harm: their commits and settlements carry this
        // term, which no longer holds, and their delivery asks for this term before
        // every request.
        let running = AbandonableTask.start { try await self.run(parts, hangups: nil, serveMonitoring: false) }
        let lost = await withTaskGroup(of: Bool.self) { turn in
            turn.addTask {
                await running.waitUntilEnded()
                return false
            }
            turn.addTask {
                await turns.waitUntilLost(term)
                return true
            }
            defer { turn.cancelAll() }
            return await turn.next() ?? false
        }
        if lost {
            turns.stepDown(from: term, because: "the lease ran out by this runtime's clock")
        }
        running.cancel()
        guard let outcome = await running.result(within: .seconds(5)) else {
            logger.warning("the parts of this term did not stop within 5 s; left behind, fenced out", metadata: ["lease.term": "\(term)"])
            return true
        }
        switch outcome {
        case .failure(let error) where !(error is CancellationError):
            // A write fenced out, the database gone, a part that failed: whatever it
            // was, this runtime cannot be sure of its store, so it leads no more. It
            // stands by, and takes the lease again once the database answers.
            let why = Self.isFencedOut(error) ? "a write found the term no longer holds the lease" : "a part failed"
            turns.stepDown(from: term, because: "\(why): \(PostgresErrorText.describe(error))")
            return true
        default:
            return lost
        }
    }

    private static func isFencedOut(_ error: any Error) -> Bool {
        if case .fencedOut = error as? PostgresStoreError { true } else { false }
    }
}
