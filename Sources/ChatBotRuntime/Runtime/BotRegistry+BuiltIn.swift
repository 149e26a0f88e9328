import AfterHours

extension BotRegistry {
    /// The bot types that ship with ChatBots, by their config `type`: `after_hours`.
    public static var builtIn: BotRegistry {
        var registry = BotRegistry()
        registry.register(AfterHoursBot.type) { options in
            AfterHoursBot(name: options.name, settings: try options.decode(AfterHoursSettings.self))
        }
        return registry
    }
}
