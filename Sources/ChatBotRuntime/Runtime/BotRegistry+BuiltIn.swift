import AfterHours
import AutoAssign

extension BotRegistry {
    /// The bot types that ship with ChatBots, by their config `type`: `auto_assign`,
    /// `after_hours`.
    public static var builtIn: BotRegistry {
        var registry = BotRegistry()
        registry.register(AutoAssignBot.type) { options in
            AutoAssignBot(name: options.name, settings: try options.decode(AutoAssignSettings.self))
        }
        registry.register(AfterHoursBot.type) { options in
            AfterHoursBot(name: options.name, settings: try options.decode(AfterHoursSettings.self))
        }
        return registry
    }
}
