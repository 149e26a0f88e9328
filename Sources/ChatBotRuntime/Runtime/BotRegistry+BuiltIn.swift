extension BotRegistry {
    /// The bot types that ship with ChatBots. The built-in bots (auto-assign,
    /// after-hours, SLA alerts) register here as they land.
    public static var builtIn: BotRegistry {
        BotRegistry()
    }
}
