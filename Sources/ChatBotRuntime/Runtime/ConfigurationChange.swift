import ChatBotKit

extension RuntimeConfiguration {
    /// The sections of this configuration that differ from `running` (the one the
    /// runtime started with) and that a reload cannot apply: the socket, sign-in, store, directory, delivery, log and endpoint are set up
    /// once at start. Bots, the roster, routes, alerts and `monitoring.ready_max_outbox`
    /// apply at once, so they are never listed.
    func changesNeedingRestart(comparedWith running: RuntimeConfiguration) -> [String] {
        var changed: [String] = []
        if server != running.server { changed.append("server") }
        if auth != running.auth { changed.append("auth") }
        if serviceAccountID != running.serviceAccountID { changed.append("service_account_id") }
        if store != running.store { changed.append("store") }
        if directory != running.directory { changed.append("directory") }
        if logging != running.logging { changed.append("logging") }
        if delivery != running.delivery { changed.append("delivery") }
        var monitoringNow = monitoring
        monitoringNow.readyMaxOutbox = running.monitoring.readyMaxOutbox
        if monitoringNow != running.monitoring { changed.append("monitoring") }
        var engineNow = engine
        engineNow.curators = running.engine.curators
        if engineNow != running.engine { changed.append("engine (all but curators)") }
        return changed
    }
}

/// What a configuration reload did.
public struct ReloadOutcome: Sendable, Equatable {
    /// The bots now installed, in order.
    public var bots: [String]
    /// Sections that differ from the start's and take effect only after a restart
    /// (see the README's "Hot reload").
    public var needsRestart: [String]
    /// Curators no longer in `engine.curators`: a role once learned stays.
    public var curatorsKept: [String]
}

/// How many reloads a runtime applied and refused, for tests and the log.
public struct ReloadCounters: Sendable, Hashable {
    public var applied: Int
    public var refused: Int

    public init(applied: Int = 0, refused: Int = 0) {
        self.applied = applied
        self.refused = refused
    }
}
