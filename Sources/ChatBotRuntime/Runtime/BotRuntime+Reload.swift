import ChatBotKit
import Foundation
import Logging
import Synchronization

extension BotRuntime {
    /// Applies a new configuration without dropping the socket: the new bots handle
    /// every event from the next one on (each keeps its state and timers under its
    /// name), curators added to the roster are learned, and routes, alert settings and
    /// `monitoring.ready_max_outbox` take effect. Sections set up once at start that
    /// differ from the start's are listed in the outcome: they need a restart.
    ///
    /// - Throws: ``EngineError/duplicateBotName(_:)``, or a store error while
    ///   committing the roster; nothing has changed then.
    @discardableResult
    public func reload(configuration new: RuntimeConfiguration, bots: [any Bot]) async throws -> ReloadOutcome {
        guard let parts else { throw ReloadError.notStarted }
        // What can fail goes first, so a reload applies whole or not at all.
        try Engine.checkNames(of: bots)
        try await parts.engine.learnCurators(new.engine.curators.map { UserID($0) })
        // From here nothing suspends or throws: a concurrent reload cannot interleave.
        try parts.engine.replaceBots(bots)
        var delivery = parts.delivery.configuration
        delivery.routes = new.routes
        delivery.alerts = new.alerts
        parts.delivery.reconfigure(delivery)
        let curatorsKept = reloadable.withLock { running in
            let kept = running.curators.subtracting(new.engine.curators)
            running.readyMaxOutbox = new.monitoring.readyMaxOutbox
            running.curators.formUnion(new.engine.curators)
            return kept
        }
        let outcome = ReloadOutcome(
            bots: parts.engine.botNames,
            // Against the start: those sections still run as they started.
            needsRestart: new.changesNeedingRestart(comparedWith: configuration),
            curatorsKept: curatorsKept.sorted()
        )
        reloads.withLock { $0.applied += 1 }
        startSignal.notify()
        return outcome
    }

    /// Reads the source's file again and applies it; a file that fails to load, or a
    /// bot that refuses its options, is refused with its error and the runtime goes on
    /// with what it had. Logs either way.
    func reload(from source: ReloadSource) async {
        let path = source.configurationFile
        logger.notice("SIGHUP: reloading the configuration", metadata: ["config.path": "\(path)"])
        do {
            let new = try ConfigLoader.load(path: path, environment: environment)
            let bots = try source.registry.makeBots(new.bots, file: path)
            let outcome = try await reload(configuration: new, bots: bots)
            logger.notice("configuration reloaded", metadata: ["reload.bots": "\(outcome.bots.joined(separator: ","))"])
            if !outcome.curatorsKept.isEmpty {
                logger.notice("no longer in engine.curators, but a curator keeps the role: \(outcome.curatorsKept.joined(separator: ", "))")
            }
            if !outcome.needsRestart.isEmpty {
                logger.warning(
                    "changed but not applied until a restart: \(outcome.needsRestart.joined(separator: ", "))",
                    metadata: [
                        "reload.needs_restart": "\(outcome.needsRestart.joined(separator: ","))"
                    ])
            }
        } catch {
            reloads.withLock { $0.refused += 1 }
            startSignal.notify()
            logger.error("configuration reload refused; still running on the previous one", metadata: ["error": "\(error)"])
        }
    }

    /// How many reloads were applied and refused so far.
    public var reloadCounts: ReloadCounters {
        reloads.withLock { $0 }
    }

    /// Returns once the reload counts satisfy `condition` (for tests).
    public func waitForReloads(_ condition: (ReloadCounters) -> Bool) async {
        while !Task.isCancelled {
            let token = startSignal.token
            if condition(reloadCounts) { return }
            await startSignal.wait(since: token)
        }
    }
}

/// Why a reload was not applied.
public enum ReloadError: Error, CustomStringConvertible {
    case notStarted

    public var description: String {
        switch self {
        case .notStarted: "the runtime has not started; nothing to reload"
        }
    }
}
