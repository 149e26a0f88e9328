import ChatBotKit
import Foundation

/// Assigns a curator to every new chat: among curators who are online, may take the
/// chat's type and are under their capacity, by the configured strategy. Chats nobody
/// can take wait in a queue, oldest first, until a curator comes online or frees a seat.
///
/// - A chat that already has a curator (`assign_curator` seen) is left alone.
/// - A curator offline for less than the grace period keeps their chats; with
///   `reassign_offline_after`, chats of a curator who stays away move to someone else.
/// - Every decision — candidates, who was filtered out and why, the tie-break, the pick —
///   is logged and kept with the chat (``decisionsKey(_:)``).
///
/// ```swift
/// let bot = AutoAssignBot(settings: AutoAssignSettings(strategy: .leastLoaded, maxOpenChats: 5))
/// ```
public struct AutoAssignBot: Bot {
    /// The type name in config files.
    public static let type = "auto_assign"
    /// How many decisions are kept per chat.
    static let decisionsKept = 20

    public let name: String
    public let settings: AutoAssignSettings
    private let planner: AssignmentPlanner

    public init(name: String = AutoAssignBot.type, settings: AutoAssignSettings = AutoAssignSettings()) {
        self.name = name
        self.settings = settings
        planner = AssignmentPlanner(settings: settings)
    }

    /// The state key under which a chat's decisions are kept, newest last.
    public static func decisionsKey(_ chat: ChatID) -> StateKey<[AssignmentDecision]> {
        .chat(chat, "decisions")
    }

    public func handle(_ event: ChatEvent, in context: BotContext) {
        switch event {
        case .newChat(let opened):
            var books = openBooks(context, forDecisions: true)
            // Chats already waiting come first: a seat goes to the oldest.
            drainQueue(trigger: "new_chat", books: &books, context: context)
            assignOrQueue(opened.chatID, trigger: "new_chat", books: &books, context: context)
            books.save(in: context)
        case .assignCurator(let assignment):
            confirmed(assignment, context: context)
        case .updateChatStatus(let change):
            guard let chat = context.world.chat(change.chatID), context.world.isClosed(chat) else { return }
            var books = openBooks(context, forDecisions: true)
            books.state.unqueue(change.chatID)
            books.inFlight.remove(change.chatID)
            drainQueue(trigger: "capacity_freed", books: &books, context: context)
            books.save(in: context)
        case .userStatus(let status):
            guard isCurator(status.userID, context.world) else { return }
            if status.status == .online {
                context.cancel(Self.offlineTimer, instance: "\(status.userID)")
                var books = openBooks(context, forDecisions: true)
                drainQueue(trigger: "curator_online", books: &books, context: context)
                books.save(in: context)
            } else if let delay = settings.reassignDelay {
                context.schedule(Self.offlineTimer, after: delay.duration, instance: "\(status.userID)", payload: status.userID)
            }
        default:
            break
        }
    }

    public func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
        guard let curator = try timer.payload(Self.offlineTimer) else { return }
        guard let user = context.world.user(curator), !user.isOnline else { return }
        var books = openBooks(context, forDecisions: true)
        requeueUnconfirmed(&books, context: context)
        let chats = Set(user.openChats).union(books.inFlight.chats(of: curator)).sorted()
        context.logger.info(
            "curator stayed offline; reassigning their open chats",
            metadata: [
                "curator.id": "\(curator)", "chats.count": "\(chats.count)",
            ])
        for chat in chats {
            books.inFlight.remove(chat)
            assignOrQueue(chat, trigger: "curator_offline", excluding: [curator], awayFrom: curator, books: &books, context: context)
        }
        books.save(in: context)
    }

    // MARK: - Deciding

    private func assignOrQueue(
        _ chatID: ChatID, trigger: String, excluding: Set<UserID> = [], awayFrom: UserID? = nil,
        books: inout Books, context: BotContext
    ) {
        guard let chat = context.world.chat(chatID), !context.world.isClosed(chat) else { return }
        if awayFrom == nil, chat.curatorID != nil || books.inFlight.contains(chatID) { return }
        requeueUnconfirmed(&books, context: context)
        var decision = decide(chat, trigger: trigger, excluding: excluding, books: books, context: context)
        if let curator = decision.picked {
            assign(curator, to: chatID, books: &books, context: context)
        } else {
            decision.queuePosition = books.state.enqueue(chatID, at: context.now, awayFrom: awayFrom)
        }
        record(decision, context: context)
    }

    /// Assignments the backend never confirmed (refused for good, say) stop counting
    /// toward a load; their chats, still without a curator, wait in the queue again.
    private func requeueUnconfirmed(_ books: inout Books, context: BotContext) {
        for chatID in books.inFlight.removeExpired(at: context.now) {
            guard let chat = context.world.chat(chatID), !context.world.isClosed(chat), chat.curatorID == nil else { continue }
            context.logger.warning("an assignment was never confirmed; the chat waits again", metadata: ["chat.id": "\(chatID)"])
            _ = books.state.enqueue(chatID, at: context.now)
        }
    }

    /// Offers waiting chats, oldest first, to whoever can take them now.
    ///
    /// Cheap when it cannot help: it looks at no curator while nothing waits, stops as
    /// soon as nobody has a free seat, and skips the kinds of chat (type and topic)
    /// nobody could take earlier in the same pass, so a long queue at night costs one
    /// look per chat, not one decision per chat.
    private func drainQueue(trigger: String, books: inout Books, context: BotContext) {
        requeueUnconfirmed(&books, context: context)
        var unservable: Set<String> = []
        guard !books.state.queue.isEmpty, planner.anyoneHasASeat(in: books.pool, world: context.world, inFlight: books.inFlight) else { return }
        for waiting in books.state.queue {
            guard let chat = context.world.chat(waiting.chat), !context.world.isClosed(chat), !books.inFlight.contains(waiting.chat),
                chat.curatorID == nil || (chat.curatorID == waiting.awayFrom && !isOnline(waiting.awayFrom, context.world))
            else {
                // Taken by someone, closed, or its curator came back: it waits no more.
                books.state.unqueue(waiting.chat)
                books.inFlight.remove(waiting.chat)
                continue
            }
            let excluding = Set([waiting.awayFrom].compactMap { $0 })
            let kind = "\(chat.type?.wireValue ?? "?")|\(chat.topic ?? "")|\(waiting.awayFrom.map { "\($0)" } ?? "")"
            guard !unservable.contains(kind) else { continue }
            let decision = decide(chat, trigger: trigger, excluding: excluding, books: books, context: context)
            guard let curator = decision.picked else {
                unservable.insert(kind)
                continue
            }
            assign(curator, to: waiting.chat, books: &books, context: context)
            record(decision, context: context)
            // Seats change only when someone is assigned.
            guard planner.anyoneHasASeat(in: books.pool, world: context.world, inFlight: books.inFlight) else { return }
        }
    }

    private func decide(
        _ chat: ChatRecord, trigger: String, excluding: Set<UserID>, books: Books, context: BotContext
    ) -> AssignmentDecision {
        let previous = chat.clientID.flatMap { context.state(Self.lastCuratorKey($0)) }
        let request = AssignmentPlanner.Request(chat: chat, trigger: trigger, excluding: excluding, previousCurator: previous)
        return planner.decide(request, pool: books.pool, world: context.world, state: books.state, inFlight: books.inFlight, now: context.now)
    }

    private func assign(_ curator: UserID, to chat: ChatID, books: inout Books, context: BotContext) {
        context.assign(curator, to: chat)
        books.inFlight.add(chat, to: curator, at: context.now)
        books.state.unqueue(chat)
        if settings.strategy == .roundRobin || settings.stickyFallback == .roundRobin {
            books.state.lastRoundRobin = curator
        }
    }

    /// The backend confirmed an assignment (ours or anyone's): it no longer waits or
    /// counts as in flight, and its client's next chat may go back to that curator.
    private func confirmed(_ assignment: CuratorAssignment, context: BotContext) {
        var books = openBooks(context, forDecisions: false)
        books.state.unqueue(assignment.chatID)
        books.inFlight.remove(assignment.chatID)
        books.save(in: context)
        if let client = context.world.chat(assignment.chatID)?.clientID {
            context.set(Self.lastCuratorKey(client), to: assignment.curatorID)
        }
    }

    private func record(_ full: AssignmentDecision, context: BotContext) {
        let decision = full.kept()
        let key = Self.decisionsKey(decision.chatID)
        var decisions = context.state(key) ?? []
        decisions.append(decision)
        context.set(key, to: Array(decisions.suffix(Self.decisionsKept)))
        // The metadata is built only if the line is logged (the logger's arguments are
        // autoclosures): listing every curator costs as much as deciding.
        if decision.picked != nil {
            context.logger.info("chat assigned", metadata: Self.metadata(of: decision))
        } else {
            context.logger.notice("nobody can take the chat; it waits", metadata: Self.metadata(of: decision))
        }
    }

    private static func metadata(of decision: AssignmentDecision) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "chat.id": "\(decision.chatID)", "assign.trigger": "\(decision.trigger)",
            "assign.candidates": "\(decision.candidates.map { "\($0.curator)" })",
            "assign.excluded": "\(decision.exclusionSummary)",
        ]
        if decision.candidatesLeftOut > 0 { metadata["assign.candidates_left_out"] = "\(decision.candidatesLeftOut)" }
        if let tieBreak = decision.tieBreak { metadata["assign.tie_break"] = "\(tieBreak)" }
        if let picked = decision.picked {
            metadata["curator.id"] = "\(picked)"
        } else {
            metadata["queue.position"] = "\(decision.queuePosition ?? 0)"
        }
        return metadata
    }

    /// The shared state and the assignments in flight, as one handler reads and changes
    /// them.
    private struct Books {
        var state: AutoAssignState
        let stored: AutoAssignState
        /// The curator pool, when the handler will decide; empty otherwise.
        let pool: [UserID]
        let inFlight: InFlightAssignments

        /// Writes what changed. The shared state only when it did: an unchanged write
        /// would still be encoded and stored.
        func save(in context: BotContext) {
            if state != stored {
                context.set(AutoAssignState.key, to: state)
            }
            inFlight.save()
        }
    }

    /// Reads the shared state, and the assignments in flight as they are asked about.
    /// A handler that decides sweeps every curator's for expired assignments now and
    /// then (``AutoAssignState/sweepInterval``): a decision reads only the curators who
    /// could take the chat, and an unconfirmed assignment to someone who went offline
    /// must still stop holding its chat.
    private func openBooks(_ context: BotContext, forDecisions: Bool) -> Books {
        let stored = context.state(AutoAssignState.key) ?? AutoAssignState()
        let pool = forDecisions ? planner.curatorPool(context.world) : []
        var books = Books(state: stored, stored: stored, pool: pool, inFlight: InFlightAssignments(context))
        if forDecisions, context.now >= stored.nextSweep ?? .distantPast {
            books.inFlight.load(pool)
            books.state.nextSweep = context.now.addingTimeInterval(AutoAssignState.sweepInterval)
        }
        // A store from before in-flight assignments had keys of their own: move them.
        for (chat, pending) in stored.pending.sorted(by: { $0.key < $1.key }) {
            books.inFlight.add(chat, to: pending.curator, at: pending.at)
        }
        books.state.pending = [:]
        return books
    }

    private func isOnline(_ user: UserID?, _ world: WorldView) -> Bool {
        user.flatMap { world.user($0) }?.isOnline ?? false
    }

    private func isCurator(_ user: UserID, _ world: WorldView) -> Bool {
        world.role(of: user) == .curator || settings.limits(of: user) != nil
    }

    /// A curator who went offline, checked again after `reassign_offline_after`; one
    /// per curator (the instance), carrying the curator.
    static let offlineTimer = TimerKind<UserID>("offline")

    static func lastCuratorKey(_ client: UserID) -> StateKey<UserID> {
        .user(client, "last_curator")
    }
}
