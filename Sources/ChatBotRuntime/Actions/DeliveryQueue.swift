import ChatBotKit
import DequeModule
import Foundation
import HeapModule

/// Which actions go out next: the outbox's unsettled actions held in memory, one queue
/// per chat, and the limits they go out under. It does no I/O and reads no clock: the
/// delivery feeds it what the store holds and what each attempt came to, with the time,
/// and asks what to send.
///
/// - **Order.** A chat's actions wait in one lane in commit (id) order; only the head
///   goes, and only once the action before it has settled (delivered, dead, expired).
///   A retry keeps its place at the head, so nothing overtakes it.
/// - **Two channels.** Chat actions go to the backend, alerts to the webhook, each with
///   its own in-flight bound, pause and lanes: a dead webhook never holds a chat's
///   replies, nor a slow backend an alert. Alerts queue per chat too, so a chat's
///   warning never overtakes its earlier alert.
/// - **Limits.** At most `maxInFlight` per channel; a global rate on the backend; a
///   per-chat rate on each chat's lane. A 429 pauses its chat's lane or the backend
///   channel (``DeliveryLimits/PauseScope``); after a pause the bucket starts empty, so
///   what waited drains at the limit, and a channel without a rate takes one request at
///   a time until one succeeds.
/// - **Bounded.** At most `heldLimit` actions in memory, at most `heldPerLane` per lane:
///   a lane with more in the store is marked truncated and refilled from the store when
///   it empties, so one blocked chat never fills memory or hides other chats' actions.
struct DeliveryQueue: Sendable {
    /// Where an action waits.
    enum LaneKey: Hashable, Sendable {
        /// A chat's actions to the backend.
        case chat(ChatID)
        /// The alerts about a chat.
        case alerts(ChatID)
        /// An alert about no chat: a lane of its own.
        case alert(Int64)

        init(_ entry: OutboxEntry) {
            switch entry.action {
            case .alert(let alert):
                if let chat = alert.chatID { self = .alerts(chat) } else { self = .alert(entry.id ?? 0) }
            default:
                self = .chat(entry.action.chatID ?? ChatID(""))
            }
        }

        var channel: Channel {
            if case .chat = self { .backend } else { .alerts }
        }
    }

    /// Where a lane's actions are sent.
    enum Channel: Int, CaseIterable, Sendable {
        case backend, alerts
    }

    /// One action to send now, or to record as expired without sending.
    struct Dispatch: Sendable {
        var entry: OutboxEntry
        var lane: LaneKey
        var expired: Bool
        var sentAt: Date
    }

    /// What one dispatch came to.
    enum Result: Sendable {
        /// Delivered, dead or expired: the lane's next action may go. `throttledUntil`
        /// when the backend's last answer was a 429 (a dead letter past its age still
        /// pauses its bucket).
        case settled(success: Bool, throttledUntil: Date? = nil)
        /// To be tried again at `at`; `throttled` for a 429 (which pauses its bucket).
        case retry(at: Date, throttled: Bool)
        /// Not attempted after all (the delivery stopped mid-request): left as it was.
        case abandoned
    }

    /// Why the held actions wait, for metrics.
    enum WaitReason: String, CaseIterable, Sendable {
        case inFlight = "in_flight"
        /// Behind an earlier action of its chat.
        case behindChat = "behind_chat"
        /// Its retry is not due yet.
        case backoff
        /// A rate limit (global or per chat) has no token for it yet.
        case rateLimited = "rate_limited"
        /// A 429 paused its channel or chat.
        case paused
        /// Ready, waiting for a free place among those in flight.
        case capacity
    }

    private struct Lane {
        var entries = Deque<OutboxEntry>()
        /// The highest id this lane has held.
        var lastHeldID: Int64 = 0
        var inFlight = false
        /// Queued in its channel's ready list or in the sleepers, so not twice.
        var scheduled = false
        /// The per-chat rate's bucket (backend lanes, when a per-chat rate is set).
        var bucket: TokenBucket?
        /// Until when a 429 paused this lane.
        var pausedUntil: Date?
    }

    private struct ChannelState {
        var ready = Deque<LaneKey>()
        var inFlight = 0
        var pausedUntil: Date?
        /// After a pause, with no rate to drain at: one request at a time until one succeeds.
        var probing = false
        var bucket: TokenBucket?
    }

    /// A lane to look at again at a moment: a sleeper (its head's retry, pause or rate)
    /// or its head's expiry. `tag` orders equal moments: the order sleepers were put
    /// down, or the expiring entry's id (which also tells a stale expiry).
    private struct Alarm: Comparable {
        var at: Date
        var tag: Int64
        var lane: LaneKey

        static func < (lhs: Alarm, rhs: Alarm) -> Bool {
            (lhs.at, lhs.tag) < (rhs.at, rhs.tag)
        }

        static func == (lhs: Alarm, rhs: Alarm) -> Bool {
            lhs.at == rhs.at && lhs.tag == rhs.tag
        }
    }

    let limits: DeliveryLimits
    private var lanes: [LaneKey: Lane] = [:]
    private var channels: [ChannelState]
    private var sleepers = Heap<Alarm>()
    /// Heads with an expiry, by it: an expired head is recorded at once, whatever
    /// rate, pause or earlier lane holds its channel (`entry` tells a stale one).
    private var expiries = Heap<Alarm>()
    /// Lanes of which the store holds more, with ids up to the cursor, than memory does:
    /// the only ones a refill may be due for.
    private var truncatedLanes = Set<LaneKey>()
    private var sleeperOrder: Int64 = 0
    /// The highest id read from the store's forward scan.
    private(set) var cursor: Int64 = 0
    /// Actions held in memory.
    private(set) var held = 0

    init(limits: DeliveryLimits, now: Date) {
        self.limits = limits
        channels = Channel.allCases.map { _ in ChannelState() }
        channels[Channel.backend.rawValue].bucket = limits.globalRate.map { TokenBucket($0, now: now) }
    }

    /// How many more actions may be read into memory.
    var room: Int {
        max(0, limits.heldLimit - held)
    }

    /// Actions being sent now, over both channels.
    var inFlight: Int {
        channels.reduce(0) { $0 + $1.inFlight }
    }

    // MARK: - Feeding it from the store

    /// Takes the next rows of the store's forward scan (ids above ``cursor``, in order).
    /// Stops, leaving the cursor before the rest, once memory is full.
    mutating func admit(_ entries: [OutboxEntry], now: Date) {
        for entry in entries {
            guard let id = entry.id, id > cursor else { continue }
            guard held < limits.heldLimit else { return }
            cursor = id
            let key = LaneKey(entry)
            var lane = lanes[key] ?? Lane(bucket: key.channel == .backend ? limits.perChatRate.map { TokenBucket($0, now: now) } : nil)
            if truncatedLanes.contains(key) || lane.entries.count >= limits.heldPerLane {
                // Left in the store: the lane reads it back when it has room. (A lane
                // of one alert about no chat never holds more than that one.)
                truncatedLanes.insert(key)
                lanes[key] = lane
                continue
            }
            lane.entries.append(entry)
            lane.lastHeldID = id
            held += 1
            lanes[key] = lane
            reschedule(key, now: now)
        }
    }

    /// A refill the store must answer: a lane that emptied while more of it waits there.
    struct Refill: Sendable, Equatable {
        var lane: LaneKey
        var chat: ChatID
        var alerts: Bool
        var ids: ClosedRange<Int64>
        var limit: Int
    }

    /// A lane to read back from the store now, for at most what memory has room for;
    /// ask again after taking its answer (the room is less then).
    func nextRefill() -> Refill? {
        let limit = min(limits.heldPerLane, room)
        guard limit > 0 else { return nil }
        return truncatedLanes.lazy.compactMap { key -> Refill? in
            guard let lane = lanes[key], lane.entries.isEmpty, !lane.inFlight, lane.lastHeldID < cursor else { return nil }
            let chat: ChatID
            let alerts: Bool
            switch key {
            case .chat(let id): (chat, alerts) = (id, false)
            case .alerts(let id): (chat, alerts) = (id, true)
            case .alert: return nil
            }
            return Refill(lane: key, chat: chat, alerts: alerts, ids: (lane.lastHeldID + 1)...cursor, limit: limit)
        }.first
    }

    /// Takes the store's answer to a refill asked with ``nextRefill()``, even if a
    /// forward read moved the cursor meanwhile.
    mutating func refill(_ refill: Refill, with entries: [OutboxEntry], now: Date) {
        guard var lane = lanes[refill.lane] else { return }
        for entry in entries {
            guard let id = entry.id, id > lane.lastHeldID else { continue }
            lane.entries.append(entry)
            lane.lastHeldID = id
            held += 1
        }
        if entries.count < refill.limit {
            // Everything of the lane up to the range's end is held now. Rows past it
            // that a forward read took meanwhile (another pass reading beside this
            // one) were skipped as the lane's: it stays truncated for those.
            lane.lastHeldID = max(lane.lastHeldID, refill.ids.upperBound)
            if cursor == refill.ids.upperBound {
                truncatedLanes.remove(refill.lane)
            }
        }
        lanes[refill.lane] = lane
        reschedule(refill.lane, now: now)
    }

    // MARK: - Sending

    /// The next action to send (or to record as expired) at `now`, marked in flight;
    /// `nil` when nothing may go now.
    mutating func next(at now: Date) -> Dispatch? {
        if let expired = nextExpired(at: now) { return expired }
        wakeSleepers(at: now)
        for channel in Channel.allCases {
            if let dispatch = next(on: channel, at: now) { return dispatch }
        }
        return nil
    }

    /// Records what a dispatch came to; the lane's next action may go once it settled.
    mutating func finish(_ dispatch: Dispatch, with result: Result, at now: Date) {
        let channel = dispatch.lane.channel
        channels[channel.rawValue].inFlight -= 1
        guard var lane = lanes[dispatch.lane] else { return }
        lane.inFlight = false
        switch result {
        case .settled(let success, let throttledUntil):
            if lane.entries.first?.id == dispatch.entry.id {
                lane.entries.removeFirst()
                held -= 1
            }
            if let throttledUntil { pause(dispatch.lane, lane: &lane, until: throttledUntil) }
            // Only a request sent after the pause says the backend takes requests again.
            if success, dispatch.sentAt >= channels[channel.rawValue].pausedUntil ?? .distantPast {
                channels[channel.rawValue].probing = false
            }
        case .retry(let at, let throttled):
            if var head = lane.entries.first, head.id == dispatch.entry.id {
                head.attempts += 1
                head.nextAttemptAt = at
                lane.entries[0] = head
            }
            if throttled { pause(dispatch.lane, lane: &lane, until: at) }
        case .abandoned:
            break
        }
        lanes[dispatch.lane] = lane
        reschedule(dispatch.lane, now: now)
    }

    /// When something held may next become sendable without any attempt finishing, if
    /// it is waiting on time at all.
    func nextWake(after now: Date) -> Date? {
        var earliest = sleepers.min?.at
        if let expiry = expiries.min?.at { earliest = min(earliest ?? expiry, expiry) }
        for channel in Channel.allCases {
            let state = channels[channel.rawValue]
            // A full channel is woken by an attempt finishing, not by time.
            guard !state.ready.isEmpty, state.inFlight < limits.maxInFlight(channel), !(state.probing && state.inFlight > 0) else {
                continue
            }
            var moment = max(now, state.pausedUntil ?? now)
            if let bucket = state.bucket { moment = max(moment, bucket.nextToken(after: moment)) }
            if moment > now { earliest = min(earliest ?? moment, moment) }
        }
        return earliest
    }

    /// How many held actions wait, and why.
    func waiting(at now: Date) -> [WaitReason: Int] {
        var counts = Dictionary(uniqueKeysWithValues: WaitReason.allCases.map { ($0, 0) })
        for (key, lane) in lanes where !lane.entries.isEmpty {
            counts[.behindChat, default: 0] += lane.entries.count - 1
            counts[reason(forHeadOf: lane, on: key.channel, at: now), default: 0] += 1
        }
        return counts
    }

    /// Lets go of lanes that hold nothing and remember nothing (their rate is full).
    mutating func prune(at now: Date) {
        lanes = lanes.filter { key, lane in
            !lane.entries.isEmpty || lane.inFlight || truncatedLanes.contains(key) || lane.scheduled
                || !(lane.bucket?.isFull(at: now) ?? true) || (lane.pausedUntil.map { $0 > now } ?? false)
        }
    }

    // MARK: - Inside

    private mutating func next(on channel: Channel, at now: Date) -> Dispatch? {
        while let key = channels[channel.rawValue].ready.first {
            guard var lane = lanes[key], let head = lane.entries.first, !lane.inFlight else {
                // Settled or emptied since it was queued.
                channels[channel.rawValue].ready.removeFirst()
                lanes[key]?.scheduled = false
                continue
            }
            let expired = head.expiresAt.map { $0 <= now } ?? false
            // Recording an expiry sends nothing, so no limit or pause holds it; it
            // still takes a place in flight (a store write), so a backlog of them does
            // not start thousands at once.
            if expired, channels[channel.rawValue].inFlight >= limits.maxInFlight(channel) { return nil }
            if !expired {
                guard channelAdmits(channel, at: now) else { return nil }
                if var bucket = lane.bucket {
                    guard bucket.take(at: now) else {
                        // Its chat's rate ran out since it was queued: it sleeps until a token.
                        channels[channel.rawValue].ready.removeFirst()
                        lane.scheduled = false
                        lanes[key] = lane
                        reschedule(key, now: now)
                        continue
                    }
                    lane.bucket = bucket
                }
                _ = channels[channel.rawValue].bucket?.take(at: now)
            }
            channels[channel.rawValue].ready.removeFirst()
            return send(head, of: key, lane: &lane, expired: expired, at: now)
        }
        return nil
    }

    /// A head whose expiry passed, to record now: it sends nothing, so no rate or pause
    /// holds it, only the bound on what is in flight (a store write each).
    private mutating func nextExpired(at now: Date) -> Dispatch? {
        while let first = expiries.min, first.at <= now {
            guard var lane = lanes[first.lane], !lane.inFlight, let head = lane.entries.first, head.id == first.tag else {
                expiries.removeMin()  // settled, or in flight, since
                continue
            }
            let channel = first.lane.channel
            guard channels[channel.rawValue].inFlight < limits.maxInFlight(channel) else { return nil }
            expiries.removeMin()
            // Its places in the ready list or the sleepers go stale: the lane is in
            // flight, then has another head.
            return send(head, of: first.lane, lane: &lane, expired: true, at: now)
        }
        return nil
    }

    /// Marks a lane's head in flight and hands it out.
    private mutating func send(_ head: OutboxEntry, of key: LaneKey, lane: inout Lane, expired: Bool, at now: Date) -> Dispatch {
        channels[key.channel.rawValue].inFlight += 1
        lane.scheduled = false
        lane.inFlight = true
        lanes[key] = lane
        return Dispatch(entry: head, lane: key, expired: expired, sentAt: now)
    }

    private func channelAdmits(_ channel: Channel, at now: Date) -> Bool {
        let state = channels[channel.rawValue]
        if let paused = state.pausedUntil, paused > now { return false }
        if state.probing, state.inFlight > 0 { return false }
        if state.inFlight >= limits.maxInFlight(channel) { return false }
        if let bucket = state.bucket, bucket.nextToken(after: now) > now { return false }
        return true
    }

    /// A 429: pauses the chat's lane or the whole channel until `until`, and empties the
    /// bucket that drains what waited.
    private mutating func pause(_ key: LaneKey, lane: inout Lane, until: Date) {
        let channel = key.channel
        if channel == .backend, limits.pauseScope == .chat {
            lane.pausedUntil = until
            lane.bucket?.empty(until: until)
            return
        }
        var state = channels[channel.rawValue]
        state.pausedUntil = max(state.pausedUntil ?? until, until)
        if state.bucket == nil {
            state.probing = true
        } else {
            state.bucket?.empty(until: until)
        }
        channels[channel.rawValue] = state
    }

    /// Puts a lane where it belongs: ready in its channel, asleep until a moment, or
    /// nowhere (in flight, or empty).
    private mutating func reschedule(_ key: LaneKey, now: Date) {
        guard var lane = lanes[key] else { return }
        guard !lane.inFlight, !lane.scheduled, let head = lane.entries.first else { return }
        if let expiresAt = head.expiresAt, let id = head.id {
            expiries.insert(Alarm(at: expiresAt, tag: id, lane: key))
        }
        var until = head.nextAttemptAt
        if let paused = lane.pausedUntil { until = max(until, paused) }
        if let bucket = lane.bucket { until = max(until, bucket.nextToken(after: now)) }
        if head.expiresAt.map({ $0 <= now }) ?? false { until = now }
        lane.scheduled = true
        lanes[key] = lane
        if until > now {
            sleeperOrder += 1
            sleepers.insert(Alarm(at: until, tag: sleeperOrder, lane: key))
        } else {
            channels[key.channel.rawValue].ready.append(key)
        }
    }

    private mutating func wakeSleepers(at now: Date) {
        while let first = sleepers.min, first.at <= now {
            sleepers.removeMin()
            guard lanes[first.lane] != nil else { continue }
            lanes[first.lane]?.scheduled = false
            reschedule(first.lane, now: now)
        }
    }

    private func reason(forHeadOf lane: Lane, on channel: Channel, at now: Date) -> WaitReason {
        guard let head = lane.entries.first else { return .capacity }
        if lane.inFlight { return .inFlight }
        if head.expiresAt.map({ $0 <= now }) ?? false { return .capacity }
        if let paused = lane.pausedUntil, paused > now { return .paused }
        if head.nextAttemptAt > now { return .backoff }
        if let bucket = lane.bucket, bucket.nextToken(after: now) > now { return .rateLimited }
        let state = channels[channel.rawValue]
        if let paused = state.pausedUntil, paused > now { return .paused }
        if let bucket = state.bucket, bucket.nextToken(after: now) > now { return .rateLimited }
        return .capacity
    }
}
