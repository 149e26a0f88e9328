import AfterHours
import AutoAssign
import SLAAlerts

extension BotRegistry {
    /// The bot types that ship with ChatBots, by their config `type`: `auto_assign`,
    /// `after_hours`, `sla_alerts`.
    public static var builtIn: BotRegistry {
        var registry = BotRegistry()
        registry.register(AutoAssignBot.type) { options in
            AutoAssignBot(name: options.name, settings: try options.decode(AutoAssignSettings.self))
        }
        registry.register(AfterHoursBot.type) { options in
            AfterHoursBot(name: options.name, settings: try options.decode(AfterHoursSettings.self))
        }
        registry.register(SLAAlertsBot.type) { options in
            SLAAlertsBot(name: options.name, settings: try options.decode(SLAAlertsSettings.self))
        }
        return registry
    }
}
