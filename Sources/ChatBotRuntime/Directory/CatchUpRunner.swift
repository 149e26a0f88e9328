import ChatBotKit
import CoreMetrics
import Foundation
import Logging

/// Catches up after every gap: once the socket is up (at start and after every
/// reconnect) it reads every page of the open-chats route, asks the chat-details route
/// about chats the runtime holds open that the list left out, reads the curator
/// directory (when its route is set) for presence that changed meanwhile, and hands the
/// engine the listing (``Engine/catchUp(_:)``), which gives the bots what they missed.
///
/// The socket is up before the list is read, so whatever happens after the list was
/// read arrives live; what happened before is in the list. A failed read is logged and
/// tried again (2 s, 10 s, 30 s later) while the socket stays up; it changes nothing
/// else. Counted in `chatbots_catchups_total{outcome}` and
/// `chatbots_recovered_events_total`.
struct CatchUpRunner: Sendable {
    let directory: BackendDirectory
    let engine: Engine
    let logger: Logger
    /// The runtime's clock: when the list was asked for.
    let now: @Sendable () -> Date
    /// Waits after a failed read, in turn; then it waits for the next reconnect.
    var retryDelays: [Duration] = [.seconds(2), .seconds(10), .seconds(30)]
    /// Chats held open but not listed that one catch-up asks about at most (the most
    /// recently active first), and how many at once.
    var maxChecked = 500
    var checksAtOnce = 8
    private let succeeded: Counter
    private let failed: Counter
    private let recovered: Counter

    init(directory: BackendDirectory, engine: Engine, logger: Logger, factory: any MetricsFactory, now: @escaping @Sendable () -> Date = { Date() }) {
        self.directory = directory
        self.now = now
        self.engine = engine
        self.logger = logger
        succeeded = Counter(label: "chatbots_catchups_total", dimensions: [("outcome", "ok")], factory: factory)
        failed = Counter(label: "chatbots_catchups_total", dimensions: [("outcome", "failed")], factory: factory)
        recovered = Counter(label: "chatbots_recovered_events_total", factory: factory)
    }

    /// Catches up after each connection the gateway makes, until cancelled.
    func run(following gateway: Gateway) async {
        var handled = 0
        while !Task.isCancelled {
            await gateway.waitUntil { _, counters in counters.connections > handled }
            guard !Task.isCancelled else { return }
            let counters = gateway.statistics
            let connection = counters.connections
            handled = connection
            await catchUpWithRetries(downFor: counters.lastDownFor, while: { gateway.statistics.connections == connection })
        }
    }

    private func catchUpWithRetries(downFor: TimeInterval?, while stillConnected: @Sendable () -> Bool) async {
        var delays = retryDelays[...]
        while !Task.isCancelled {
            do {
                _ = try await catchUp(downFor: downFor)
                return
            } catch is CancellationError {
                return
            } catch  where Task.isCancelled {
                // Stopping: the HTTP client's own cancellation is no failure.
                return
            } catch {
                failed.increment()
                let next = delays.popFirst()
                logger.warning(
                    "could not catch up; what happened while the stream was down is not known yet",
                    metadata: [
                        "error": "\(error)", "catchup.retry_in": "\(next.map { "\($0)" } ?? "none: at the next reconnect")",
                    ])
                guard let next else { return }
                try? await Task.sleep(for: next)
                // A reconnect meanwhile starts a catch-up of its own.
                guard stillConnected() else { return }
            }
        }
    }

    /// Reads the listing and hands it to the engine; returns what was recovered. Throws
    /// if the open-chats route could not be read (nothing is handed over then).
    @discardableResult
    func catchUp(downFor: TimeInterval?) async throws -> CatchUpReport {
        let listedAt = now()
        guard let chats = try await directory.openChats() else { return CatchUpReport() }
        let checked = await check(chatsMissingFrom: chats)
        let report = try await engine.catchUp(
            CatchUpListing(openChats: chats, checked: checked, downFor: downFor, listedAt: listedAt, curators: await curators()))
        succeeded.increment()
        recovered.increment(by: Int64(report.events))
        return report
    }

    /// The curator directory, for presence missed meanwhile; `nil` without its route or
    /// when it cannot be read (logged: the chats are caught up all the same, and the
    /// directory's own refresh tries again).
    private func curators() async -> [DirectoryEntry]? {
        guard directory.section.curatorsPath != nil else { return nil }
        do {
            return try await directory.curators()
        } catch {
            logger.warning(
                "curator directory not read while catching up; presence changed meanwhile is not known yet",
                metadata: [
                    "error": "\(error)"
                ])
            return nil
        }
    }

    /// What the chat-details route says of the chats the engine holds open that the
    /// list left out: closed meanwhile, most likely, though only the route can say.
    /// Without that route, nothing (they stay as they are, and the log says how many).
    private func check(chatsMissingFrom listed: [OpenChat]) async -> [ChatID: ChatDetails] {
        let world = engine.worldModel
        let listedIDs = Set(listed.map(\.id))
        let missing = world.chats.values
            .filter { !listedIDs.contains($0.id) && !world.isClosed($0) }
            .sorted { ($0.lastEventAt ?? .distantPast, $0.id) > ($1.lastEventAt ?? .distantPast, $1.id) }
        guard !missing.isEmpty else { return [:] }
        guard directory.section.chatDetailsPath != nil else {
            logger.notice(
                "chats held open are not in the open-chats list; without a chat-details route they stay as they are",
                metadata: [
                    "catchup.unlisted_chats": "\(missing.count)"
                ])
            return [:]
        }
        let asked = missing.prefix(maxChecked).map(\.id)
        if missing.count > asked.count {
            logger.notice(
                "more chats held open are missing from the open-chats list than one catch-up asks about; the rest wait for the next",
                metadata: [
                    "catchup.unlisted_chats": "\(missing.count)", "catchup.asked": "\(asked.count)",
                ])
        }
        return await withTaskGroup(of: (ChatID, ChatDetails?).self) { group in
            var answers: [ChatID: ChatDetails] = [:]
            var next = asked.makeIterator()
            for _ in 0..<checksAtOnce {
                guard let chat = next.next() else { break }
                group.addTask { (chat, await directory.details(of: chat)) }
            }
            while let (chat, details) = await group.next() {
                answers[chat] = details
                if let chat = next.next() { group.addTask { (chat, await directory.details(of: chat)) } }
            }
            return answers
        }
    }
}
