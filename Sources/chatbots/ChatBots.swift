import ArgumentParser

/// The `chatbots` command.
@main
struct ChatBots: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatbots",
        abstract: "Bots and automation for the support-chat backend.",
        subcommands: [
            DemoCommand.self, RunCommand.self, CheckCommand.self, StateCommand.self, CopyStoreCommand.self, ReplayCommand.self, EmulatorCommand.self,
            BenchCommand.self, SoakCommand.self, ReceiveCommand.self, SeedCommand.self, ConformanceCommand.self,
        ]
    )
}
