import ArgumentParser
import Testing

@testable import chatbots

/// Bad command lines are refused before anything runs, with a message that names what
/// was wrong.
@Suite("Bad command lines", .timeLimit(.minutes(1)))
struct CommandLineTests {
    @Test(arguments: [
        (["run", "--bogus"], "--bogus"),
        (["run", "--log-level", "loud"], "loud"),
        (["state", "chat"], "<id>"),
        (["replay"], "<recording>"),
        (["emulator", "--port", "eighty"], "eighty"),
        (["bench", "--bot", "everything"], "everything"),
        (["emulator", "--clients", "0"], "--clients"),
        (["emulator", "--curators", "-1"], "--curators"),
        (["receive", "--frames", "0"], "--frames"),
        (["bench", "--rate", "0"], "--rate"),
        (["bench", "--rate", "100", "--seconds", "0"], "--seconds"),
        (["frobnicate"], "frobnicate"),
    ])
    func isRefusedNamingWhatWasWrong(arguments: [String], named: String) {
        do {
            _ = try ChatBots.parseAsRoot(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = ChatBots.message(for: error)
            #expect(message.contains(named), "\(arguments): \(message)")
            #expect(ChatBots.exitCode(for: error) != .success)
        }
    }
}
