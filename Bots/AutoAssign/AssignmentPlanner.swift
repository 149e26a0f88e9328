import ChatBotKit
import Foundation

/// Picks a curator for a chat: filters everyone who cannot take it (offline, not
/// allowed its type, at capacity), then applies the strategy, and says why at each step.
/// A pure function of the world, the settings, the bot's state and its assignments in
/// flight.
struct AssignmentPlanner {
    let settings: AutoAssignSettings
    /// The curators the options list, in id order.
    private let listed: [UserID]

    init(settings: AutoAssignSettings) {
        self.settings = settings
        listed = settings.curators.keys.map { UserID($0) }.sorted()
    }

    /// What led to a decision, besides the world.
    struct Request {
        var chat: ChatRecord
        var trigger: String
        /// Curators who must not get it (the one a chat is moving away from).
        var excluding: Set<UserID> = []
        /// The client's last curator, for the sticky strategy.
        var previousCurator: UserID?
    }

    /// - Parameter pool: The curator pool, ``curatorPool(_:)`` of `world`, taken once
    ///   per handler: with hundreds of curators, building it was a third of a decision.
    func decide(
        _ request: Request, pool: [UserID], world: WorldView, state: AutoAssignState, inFlight: InFlightAssignments, now: Date
    ) -> AssignmentDecision {
        var candidates: [AssignmentDecision.Candidate] = []
        var excluded: [AssignmentDecision.Exclusion] = []
        for curator in pool {
            let user = world.user(curator)
            switch screen(curator, user, for: request, inFlight: inFlight) {
            case .excluded(let reason): excluded.append(.init(curator: curator, reason: reason))
            case .candidate(let load): candidates.append(candidate(curator, user, load: load, inFlight: inFlight))
            }
        }
        var decision = AssignmentDecision(
            chatID: request.chat.id, decidedAt: now, trigger: request.trigger, strategy: settings.strategy.rawValue,
            candidates: candidates, excluded: AssignmentDecision.groupedByReason(excluded), tieBreak: nil, picked: nil, queuePosition: nil
        )
        guard !candidates.isEmpty else { return decision }
        var strategy = settings.strategy
        var prefix = ""
        if strategy == .sticky {
            if let previous = request.previousCurator, candidates.contains(where: { $0.curator == previous }) {
                decision.picked = previous
                decision.tieBreak = "sticky: the client's last curator"
                return decision
            }
            prefix = request.previousCurator.map { "sticky: the client's last curator \($0) cannot take it; " } ?? "sticky: a new client; "
            strategy = settings.stickyFallback
        }
        let (picked, reason) =
            strategy == .roundRobin
            ? pickRoundRobin(candidates, after: state.lastRoundRobin)
            : pickLeastLoaded(candidates)
        decision.picked = picked
        decision.tieBreak = prefix + reason
        return decision
    }

    /// Whether any curator of `pool` is online and under capacity, whatever the chat.
    func anyoneHasASeat(in pool: [UserID], world: WorldView, inFlight: InFlightAssignments) -> Bool {
        pool.contains { curator in
            guard let user = world.user(curator), user.isOnline else { return false }
            return load(of: user, inFlight: inFlight) < settings.capacity(of: curator)
        }
    }

    /// Everyone who is a curator: known to the world as one, or listed in the options;
    /// in id order. Both lists are kept in order, so this is a merge, not a sort.
    func curatorPool(_ world: WorldView) -> [UserID] {
        let known = world.curatorIDs
        guard !listed.isEmpty else { return known }
        var pool: [UserID] = []
        pool.reserveCapacity(known.count + listed.count)
        var (k, l) = (0, 0)
        while k < known.count || l < listed.count {
            if l == listed.count || (k < known.count && known[k] < listed[l]) {
                pool.append(known[k])
                k += 1
            } else {
                if k < known.count, known[k] == listed[l] { k += 1 }
                pool.append(listed[l])
                l += 1
            }
        }
        return pool
    }

    private enum Screening {
        case excluded(String)
        case candidate(load: Int)
    }

    /// Why `curator` cannot take the chat, or their load if they can. The load (the
    /// one read of their assignments in flight) comes last: most are out before it.
    private func screen(_ curator: UserID, _ user: UserRecord?, for request: Request, inFlight: InFlightAssignments) -> Screening {
        if request.excluding.contains(curator) { return .excluded("the chat is moving away from them") }
        guard let user, user.isOnline else {
            return .excluded(user?.presence == nil ? "presence not known yet" : "offline")
        }
        if !settings.mayTake(request.chat.type, curator: curator) {
            return .excluded("may not take \(request.chat.type.map(\.wireValue) ?? "these") chats")
        }
        if !settings.covers(request.chat.topic, curator: curator, known: user.topics) {
            return .excluded("does not cover the topic \(request.chat.topic ?? "")")
        }
        let load = self.load(of: user, inFlight: inFlight)
        let capacity = settings.capacity(of: curator)
        if load >= capacity { return .excluded("at capacity (\(load)/\(capacity))") }
        return .candidate(load: load)
    }

    private func candidate(_ curator: UserID, _ user: UserRecord?, load: Int, inFlight: InFlightAssignments) -> AssignmentDecision.Candidate {
        let lastAssigned = [user?.lastAssignedAt, inFlight.latest(of: curator)].compactMap { $0 }.max()
        return .init(curator: curator, openChats: load, capacity: settings.capacity(of: curator), lastAssignedAt: lastAssigned)
    }

    /// Open chats the world knows, plus assignments this bot sent that the backend has
    /// not confirmed yet.
    private func load(of user: UserRecord, inFlight: InFlightAssignments) -> Int {
        user.openChats.count + inFlight.load(of: user.id, beyond: user.openChats)
    }

    private func pickLeastLoaded(_ candidates: [AssignmentDecision.Candidate]) -> (UserID?, String) {
        let ordered = candidates.sorted { a, b in
            if a.openChats != b.openChats { return a.openChats < b.openChats }
            let aWaited = a.lastAssignedAt ?? .distantPast
            let bWaited = b.lastAssignedAt ?? .distantPast
            if aWaited != bWaited { return aWaited < bWaited }
            return a.curator < b.curator
        }
        guard let first = ordered.first else { return (nil, "") }
        let tied = ordered.filter { $0.openChats == first.openChats }
        guard tied.count > 1 else { return (first.curator, "least loaded (\(first.openChats) open)") }
        return (
            first.curator,
            "least loaded (\(first.openChats) open); tie among \(tied.map { "\($0.curator)" }.joined(separator: ", ")) "
                + "went to whoever waited longest since their last assignment"
        )
    }

    private func pickRoundRobin(_ candidates: [AssignmentDecision.Candidate], after last: UserID?) -> (UserID?, String) {
        let ids = candidates.map(\.curator).sorted()
        guard let last else { return (ids.first, "round robin: first in turn") }
        let next = ids.first { $0 > last } ?? ids.first
        return (next, "round robin: next after \(last)")
    }
}
