import ChatBotKit
import Foundation
import Logging
import Synchronization

/// This runtime's side of the leader's lease (``LeaderLease``): it takes the lease when
/// it is free, renews it while leading, and steps down the moment it cannot be sure it
/// still holds it.
///
/// Two clocks, each for what it can judge. The database judges the lease: it says
/// whether a term still holds it. This process judges how long it may act without
/// hearing so: a lease renewed by a request that *started* at `t` lasts, for this
/// process, until `t + ttl` on its monotonic clock, which ends no later than the
/// database's own expiry. Past that, ``currentTerm()`` is `nil`: delivery sends nothing
/// more, and the runtime stops its parts, even if the renewal is merely slow, or this
/// process was paused (the monotonic clock runs on while a process is stopped).
final class Leadership: Sendable {
    enum Role: Sendable, Equatable, CustomStringConvertible {
        case standby
        case leader(term: Int64)

        var description: String {
            switch self {
            case .standby: "standby"
            case .leader: "leader"
            }
        }
    }

    /// What `/ready`, `/metrics` and the logs show.
    struct Snapshot: Sendable, Equatable {
        var role: Role = .standby
        /// The last term this runtime led under, or saw another lead under.
        var term: Int64 = 0
        /// How many times this runtime took the lease.
        var takeovers = 0
        /// When the lease was last taken or renewed by this runtime (while leading), or
        /// last looked at (standby).
        var lastContact: ContinuousClock.Instant?
        /// Until when this runtime may act as leader, by its own clock.
        var deadline: ContinuousClock.Instant?
        /// Why the database could not be asked, when it could not.
        var problem: String?
    }

    let lease: LeaderLease
    private let store: PostgresStore
    private let logger: Logger
    private let state = Mutex(Snapshot())
    private let changed = ChangeSignal()
    /// Set by ``suspendForTesting()``: the keeper no longer talks to the database.
    private let suspended = Mutex(false)
    /// How often the lease is renewed (leader) or looked at (standby): a third of its
    /// life, so two renewals may fail before it runs out.
    let interval: Duration
    /// How long this process may act after a renewal began: the lease's life less a
    /// tenth, a margin for the database's clock, which judges expiry, running fast.
    let actFor: Duration

    init(store: PostgresStore, lease: LeaderLease, logger: Logger) {
        self.store = store
        self.lease = lease
        self.logger = logger
        interval = lease.timeToLive / 3
        actFor = lease.timeToLive * 9 / 10
    }

    var snapshot: Snapshot {
        state.withLock { $0 }
    }

    /// The term this runtime leads under, while its lease holds by its own clock;
    /// `nil` otherwise. Delivery asks before every request.
    func currentTerm() -> Int64? {
        state.withLock { state in
            guard case .leader(let term) = state.role, let deadline = state.deadline, ContinuousClock.now < deadline else { return nil }
            return term
        }
    }

    /// Takes and keeps the lease until cancelled.
    func run() async {
        while !Task.isCancelled {
            let started = ContinuousClock.now
            if !suspended.withLock({ $0 }) { await step(startedAt: started) }
            var wake = started + interval
            if let deadline = state.withLock({ $0.deadline }), deadline < wake { wake = deadline }
            try? await Task.sleep(until: wake, clock: .continuous)
        }
    }

    /// One look at the lease: renew it (leader) or try to take it (standby).
    private func step(startedAt started: ContinuousClock.Instant) async {
        let role = state.withLock { $0.role }
        do {
            switch role {
            case .leader(let term):
                let renewed = try await withAbandonableDeadline(interval) { try await self.store.renew(self.lease, term: term) }
                if renewed {
                    update {
                        $0.deadline = started + self.actFor
                        $0.lastContact = started
                        $0.problem = nil
                    }
                } else {
                    stepDown(from: term, because: "the lease ran out or another runtime took it")
                }
            case .standby:
                if let term = try await withAbandonableDeadline(interval, { try await self.store.acquire(self.lease) }) {
                    if suspended.withLock({ $0 }) {
                        // Retired while asking: give back what was taken.
                        _ = try? await withAbandonableDeadline(interval) { try await self.store.release(self.lease, term: term) }
                        return
                    }
                    update { state in
                        state.role = .leader(term: term)
                        state.term = term
                        state.takeovers += 1
                        state.deadline = started + self.actFor
                        state.lastContact = started
                        state.problem = nil
                    }
                    logger.notice("leading: took the leader's lease", metadata: ["lease.term": "\(term)", "lease.holder": "\(lease.holder)"])
                } else {
                    let held = try await withAbandonableDeadline(interval) { try await self.store.leaseState() }
                    update {
                        $0.term = held.term
                        $0.lastContact = started
                        $0.problem = nil
                    }
                }
            }
        } catch is CancellationError {
            return
        } catch {
            let problem = "the database could not be asked about the lease: \(PostgresErrorText.describe(error))"
            let wasProblem = state.withLock { $0.problem }
            update { $0.problem = problem }
            if wasProblem == nil { logger.error("\(problem); trying again", metadata: ["lease.role": "\(role)"]) }
        }
        if case .leader(let term) = state.withLock({ $0.role }), currentTerm() == nil {
            stepDown(
                from: term, because: "the lease could not be renewed before it ran out (\(state.withLock { $0.problem } ?? "no answer in time"))")
        }
    }

    /// Stops renewing or taking the lease, leaving everything else running: what a
    /// leader cut off from the database, or paused, looks like to the others. For
    /// tests of fencing and takeover within one process.
    func suspendForTesting() {
        suspended.withLock { $0 = true }
    }

    /// Stops leading now.
    func stepDown(from term: Int64, because reason: String) {
        let stepped = state.withLock { state -> Bool in
            guard state.role == .leader(term: term) else { return false }
            state.role = .standby
            state.deadline = nil
            return true
        }
        guard stepped else { return }
        changed.notify()
        logger.warning("stepping down: \(reason)", metadata: ["lease.term": "\(term)"])
    }

    /// Takes no further part (a graceful stop): no more renewals or takeovers, and a
    /// lease held is given up.
    func retire() async {
        suspended.withLock { $0 = true }
        await release()
    }

    /// Gives the lease up, so a standby takes over without waiting for it to run out.
    func release() async {
        guard case .leader(let term) = state.withLock({ $0.role }) else { return }
        update {
            $0.role = .standby
            $0.deadline = nil
        }
        do {
            try await withAbandonableDeadline(interval) { try await self.store.release(self.lease, term: term) }
            logger.notice("gave the leader's lease up", metadata: ["lease.term": "\(term)"])
        } catch {
            logger.warning("could not give the lease up; it runs out on its own", metadata: ["error": "\(PostgresErrorText.describe(error))"])
        }
    }

    /// Returns the term once this runtime leads; `nil` if cancelled first.
    func waitUntilLeading() async -> Int64? {
        while !Task.isCancelled {
            let token = changed.token
            if let term = currentTerm() { return term }
            await changed.wait(since: token)
        }
        return nil
    }

    /// Returns once `term` no longer leads: stepped down, or its lease ran out by this
    /// process's clock (checked at the deadline itself, not only when renewals answer).
    func waitUntilLost(_ term: Int64) async {
        while !Task.isCancelled {
            let token = changed.token
            guard currentTerm() == term else { return }
            let deadline = state.withLock { $0.deadline } ?? .now
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.changed.wait(since: token) }
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
        changed.notify()
    }
}
