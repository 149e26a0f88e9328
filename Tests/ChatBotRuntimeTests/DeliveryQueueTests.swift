import ChatBotKit
import Foundation
import Testing

@testable import ChatBotRuntime

/// The delivery's scheduling rules on fixed dates: order per chat, the in-flight bound,
/// rate limits and pauses, expiry, and memory bounded with nothing lost.
@Suite("Which action goes next")
struct DeliveryQueueTests {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)
    /// Hands out outbox rows with ids 1, 2, 3, ... in the order asked for.
    private let rows = Rows()

    private final class Rows {
        var nextID: Int64 = 0
    }

    private func entry(_ chat: ChatID, _ text: String = "hi", alert: Bool = false, expiresAt: Date? = nil) -> OutboxEntry {
        rows.nextID += 1
        let id = rows.nextID
        let action: BotAction = alert ? .alert(Alert(text: text, chatID: chat)) : .sendMessage(chatID: chat, text: text)
        return OutboxEntry(
            id: id, idempotencyKey: "key-\(id)", bot: "b", action: action, createdAt: start, nextAttemptAt: start,
            expiresAt: expiresAt
        )
    }

    /// Every dispatch the queue allows at `now`.
    private func drain(_ queue: inout DeliveryQueue, at now: Date) -> [DeliveryQueue.Dispatch] {
        var dispatches: [DeliveryQueue.Dispatch] = []
        while let next = queue.next(at: now) { dispatches.append(next) }
        return dispatches
    }

    @Test func aChatsActionsGoOneAtATimeInCommitOrderWhileOtherChatsGoAlongside() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 8), now: start)
        queue.admit([entry("a", "1"), entry("b", "1"), entry("a", "2"), entry("a", "3")], now: start)
        let first = drain(&queue, at: start)
        #expect(first.map(\.entry.id) == [1, 2], "the heads of both chats, nothing behind a head")
        queue.finish(first[0], with: .retry(at: start.addingTimeInterval(5), throttled: false), at: start)
        #expect(drain(&queue, at: start.addingTimeInterval(4)).isEmpty, "a retry keeps its place: chat a's next waits behind it")
        let retried = drain(&queue, at: start.addingTimeInterval(5))
        #expect(retried.map(\.entry.id) == [1])
        #expect(retried.first?.entry.attempts == 1)
        queue.finish(retried[0], with: .settled(success: true), at: start.addingTimeInterval(5))
        #expect(drain(&queue, at: start.addingTimeInterval(5)).map(\.entry.id) == [3])
    }

    @Test func noMoreThanMaxInFlightGoAtOnce() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 3), now: start)
        queue.admit((1...10).map { entry(ChatID("chat-\($0)")) }, now: start)
        let first = drain(&queue, at: start)
        #expect(first.count == 3)
        queue.finish(first[1], with: .settled(success: true), at: start)
        #expect(drain(&queue, at: start).map(\.entry.id) == [4])
        #expect(queue.inFlight == 3)
    }

    @Test func alertsHaveTheirOwnChannelSoAFullBackendHoldsNoAlert() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 1, alertMaxInFlight: 1), now: start)
        queue.admit([entry("a"), entry("b"), entry("a", "breach", alert: true), entry("b", "breach", alert: true)], now: start)
        let first = drain(&queue, at: start)
        #expect(first.map(\.entry.id) == [1, 3], "one chat action and one alert: each channel's own bound")
        queue.finish(first[1], with: .retry(at: start.addingTimeInterval(60), throttled: false), at: start)
        #expect(drain(&queue, at: start).map(\.entry.id) == [4], "a failing webhook call holds only its own chat's alerts")
    }

    @Test func aPerChatRateSpacesAChatsActionsAndAGlobalRateSpacesAll() {
        var limits = DeliveryLimits(maxInFlight: 10)
        limits.perChatRate = RateLimit(count: 2, per: .seconds(60), burst: 1)
        var queue = DeliveryQueue(limits: limits, now: start)
        queue.admit([entry("a", "1"), entry("a", "2")], now: start)
        let first = drain(&queue, at: start)
        queue.finish(first[0], with: .settled(success: true), at: start)
        #expect(drain(&queue, at: start.addingTimeInterval(29)).isEmpty, "2 a minute: the next one 30 s later")
        #expect(queue.waiting(at: start.addingTimeInterval(29))[.rateLimited] == 1)
        #expect(queue.nextWake(after: start.addingTimeInterval(1)) == start.addingTimeInterval(30))
        #expect(drain(&queue, at: start.addingTimeInterval(30)).map(\.entry.id) == [2])

        var global = DeliveryLimits(maxInFlight: 10)
        global.globalRate = RateLimit(count: 10, per: .seconds(1), burst: 2)
        var spaced = DeliveryQueue(limits: global, now: start)
        spaced.admit((1...5).map { entry(ChatID("c\($0)")) }, now: start)
        #expect(drain(&spaced, at: start).count == 2, "the burst")
        #expect(drain(&spaced, at: start.addingTimeInterval(0.05)).isEmpty)
        #expect(drain(&spaced, at: start.addingTimeInterval(0.1)).count == 1, "then one per tenth of a second")
    }

    @Test func a429PausesItsChatOnlyAndTheChatThenDrainsAtItsRate() {
        var limits = DeliveryLimits(maxInFlight: 10)
        limits.perChatRate = RateLimit(count: 60, per: .seconds(60), burst: 5)
        var queue = DeliveryQueue(limits: limits, now: start)
        queue.admit([entry("a", "1"), entry("a", "2"), entry("a", "3"), entry("b", "1")], now: start)
        let first = drain(&queue, at: start)
        #expect(first.map(\.entry.id) == [1, 4])
        queue.finish(first[0], with: .retry(at: start.addingTimeInterval(10), throttled: true), at: start)
        queue.finish(first[1], with: .settled(success: true), at: start)
        queue.admit([entry("b", "2")], now: start)
        #expect(drain(&queue, at: start.addingTimeInterval(1)).map(\.entry.id) == [5], "chat b flows while a is paused")
        #expect(queue.waiting(at: start.addingTimeInterval(1))[.paused] == 1)
        #expect(drain(&queue, at: start.addingTimeInterval(10)).isEmpty, "after the pause the bucket starts empty, not with its burst")
        let resumed = drain(&queue, at: start.addingTimeInterval(11))
        #expect(resumed.map(\.entry.id) == [1])
    }

    @Test func a429WithBackendScopePausesEveryChatThenProbesOneAtATime() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 10, pauseScope: .backend), now: start)
        queue.admit((1...4).map { entry(ChatID("c\($0)")) }, now: start)
        let first = drain(&queue, at: start)
        #expect(first.count == 4)
        queue.finish(first[0], with: .retry(at: start.addingTimeInterval(5), throttled: true), at: start)
        for dispatch in first.dropFirst() { queue.finish(dispatch, with: .settled(success: true), at: start) }
        queue.admit([entry("c5"), entry("c6")], now: start)
        #expect(drain(&queue, at: start.addingTimeInterval(4)).isEmpty, "the whole backend channel waits")
        #expect(queue.nextWake(after: start.addingTimeInterval(4)) == start.addingTimeInterval(5))
        let probe = drain(&queue, at: start.addingTimeInterval(5))
        #expect(probe.count == 1, "no rate to drain at: one request until one succeeds")
        queue.finish(probe[0], with: .settled(success: true), at: start.addingTimeInterval(5.2))
        #expect(drain(&queue, at: start.addingTimeInterval(5.2)).count == 2)
    }

    @Test func anExpiredActionIsHandedOutAsExpiredWithoutWaitingOnLimits() {
        var limits = DeliveryLimits(maxInFlight: 2)
        limits.globalRate = RateLimit(count: 1, per: .seconds(3_600), burst: 1)
        var queue = DeliveryQueue(limits: limits, now: start)
        queue.admit([entry("a", "busy"), entry("b", "closed", expiresAt: start.addingTimeInterval(60))], now: start)
        let busy = drain(&queue, at: start)
        #expect(busy.map(\.entry.id) == [1], "the rate's one token is spent")
        let stale = drain(&queue, at: start.addingTimeInterval(61))
        #expect(stale.map(\.entry.id) == [2])
        #expect(stale.first?.expired == true)
    }

    @Test func aChatWithMoreThanItsShareWaitsInTheStoreAndIsRefilledInOrder() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 10, heldLimit: 100, heldPerLane: 2), now: start)
        let written = (1...5).map { _ in entry("a") } + [entry("b")] + (1...2).map { _ in entry("a") }
        queue.admit(written, now: start)
        #expect(queue.held == 3, "two of chat a, one of chat b")
        #expect(queue.cursor == 8)
        var sent: [Int64] = []
        var store = written.filter { $0.action.chatID == "a" }
        for _ in 0..<20 {
            while let refill = queue.nextRefill() {
                let answer = store.filter { refill.ids.contains($0.id ?? 0) }.prefix(refill.limit)
                queue.refill(refill, with: Array(answer), now: start)
            }
            let batch = drain(&queue, at: start)
            if batch.isEmpty { break }
            for dispatch in batch {
                if dispatch.lane == .chat("a") { sent.append(dispatch.entry.id ?? 0) }
                store.removeAll { $0.id == dispatch.entry.id }
                queue.finish(dispatch, with: .settled(success: true), at: start)
            }
        }
        #expect(sent == [1, 2, 3, 4, 5, 7, 8], "every action of chat a, in order, none twice")
        #expect(queue.held == 0)
    }

    @Test func aFullQueueReadsNoMoreAndWaitingIsCountedByReason() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 1, heldLimit: 3), now: start)
        queue.admit([entry("a"), entry("a"), entry("b")], now: start)
        #expect(queue.room == 0)
        _ = drain(&queue, at: start)
        let waiting = queue.waiting(at: start)
        #expect(waiting[.inFlight] == 1)
        #expect(waiting[.behindChat] == 1)
        #expect(waiting[.capacity] == 1)
    }

    @Test func aRefillAnsweredAfterAForwardReadMovedOnKeepsTheLaneTruncated() throws {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 10, heldPerLane: 2), now: start)
        let written = [entry("a", "1"), entry("a", "2"), entry("a", "3")]
        queue.admit(written, now: start)
        for _ in 1...2 {
            let sent = drain(&queue, at: start)
            queue.finish(sent[0], with: .settled(success: true), at: start)
        }
        let refill = try #require(queue.nextRefill())
        #expect(refill.ids == 3...3)
        // Another pass reads forward before the refill's answer comes: a new row of
        // chat a is skipped as the truncated lane's.
        queue.admit([entry("a", "4")], now: start)
        queue.refill(refill, with: [written[2]], now: start)
        let third = drain(&queue, at: start)
        #expect(third.map(\.entry.id) == [3])
        queue.finish(third[0], with: .settled(success: true), at: start)
        #expect(queue.nextRefill()?.ids == 4...4, "the row read meanwhile is read back, not lost")
    }

    @Test func anExpiredHeadIsRecordedAtOnceEvenBehindAPausedBackend() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 4, pauseScope: .backend), now: start)
        queue.admit([entry("a"), entry("b", "closed", expiresAt: start.addingTimeInterval(60)), entry("b", "next")], now: start)
        let first = drain(&queue, at: start)
        #expect(first.map(\.entry.id) == [1, 2])
        queue.finish(first[0], with: .retry(at: start.addingTimeInterval(600), throttled: true), at: start)
        queue.finish(first[1], with: .retry(at: start.addingTimeInterval(30), throttled: false), at: start)
        #expect(queue.nextWake(after: start) == start.addingTimeInterval(30))
        #expect(drain(&queue, at: start.addingTimeInterval(59)).isEmpty, "the backend is paused for ten minutes")
        #expect(queue.nextWake(after: start.addingTimeInterval(59)) == start.addingTimeInterval(60), "woken at the expiry")
        let stale = drain(&queue, at: start.addingTimeInterval(60))
        #expect(stale.map(\.entry.id) == [2])
        #expect(stale.first?.expired == true)
        queue.finish(stale[0], with: .settled(success: false), at: start.addingTimeInterval(60))
        #expect(drain(&queue, at: start.addingTimeInterval(61)).isEmpty, "chat b's next action waits out the pause as the rest do")
        #expect(queue.waiting(at: start.addingTimeInterval(61))[.paused] == 1)
    }

    @Test func a429FromTheWebhookPausesTheAlertsAloneWhateverTheScope() {
        var queue = DeliveryQueue(limits: DeliveryLimits(maxInFlight: 4, alertMaxInFlight: 4, pauseScope: .chat), now: start)
        queue.admit([entry("a", "warn", alert: true), entry("b", "warn", alert: true), entry("a", "reply")], now: start)
        let first = drain(&queue, at: start)
        #expect(first.map(\.entry.id) == [3, 1, 2], "the chat channel first, then the alerts")
        queue.finish(first[1], with: .retry(at: start.addingTimeInterval(30), throttled: true), at: start)
        queue.finish(first[0], with: .settled(success: true), at: start)
        queue.admit([entry("c", "warn", alert: true), entry("c", "reply")], now: start)
        #expect(drain(&queue, at: start.addingTimeInterval(1)).map(\.entry.id) == [5], "chat actions go on; the webhook's alerts wait")
        #expect(queue.nextWake(after: start.addingTimeInterval(1)) == start.addingTimeInterval(30))
    }
}
