import Foundation
import Testing

/// The `chatbots` binary itself, run as a user runs it: what it prints for a file it
/// cannot use, and what it needs (and does not) to try a configuration.
@Suite("Errors in files, and trying a configuration without secrets", .timeLimit(.minutes(2)))
struct FileProblemTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let example = root.appendingPathComponent("Config/chatbots.yaml").path

    struct Finished {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs `chatbots` with `arguments`, without the example's two secret variables, on
    /// a thread of Dispatch's: waiting for a process must not hold one of the few
    /// threads every other test's tasks run on.
    static func chatbots(_ arguments: [String]) async throws -> Finished {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(arguments) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String]) throws -> Finished {
        let process = Process()
        process.executableURL = root.appendingPathComponent(".build/debug/chatbots")
        process.arguments = arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["CHATBOTS_CLIENT_SECRET"] = nil
        environment["CHATBOTS_ALERT_WEBHOOK"] = nil
        process.environment = environment
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    func withFile<T>(_ name: String, _ text: String, _ body: (String) async throws -> T) async throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chatbots-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    @Test func checkAndReplayWorkWithoutTheSecretsAndSayWhatTheyLeftOut() async throws {
        let check = try await Self.chatbots(["check", "--config", Self.example])
        #expect(check.status == 0, "\(check.errors)")
        #expect(check.output.contains("valid"))
        #expect(check.errors.contains("note: $CHATBOTS_CLIENT_SECRET, $CHATBOTS_ALERT_WEBHOOK are not set; check sends nothing"))
        try await withFile("empty.jsonl", "") { recording in
            let replay = try await Self.chatbots(["replay", recording, "--config", Self.example])
            #expect(replay.status == 0, "\(replay.errors)")
            #expect(replay.output.contains("replayed 0 frames"))
            #expect(replay.errors.contains("note: $CHATBOTS_CLIENT_SECRET, $CHATBOTS_ALERT_WEBHOOK are not set; replay sends nothing"))
        }
    }

    @Test func runStillRefusesAnUnsetSecret() async throws {
        let run = try await Self.chatbots(["run", "--config", Self.example])
        #expect(run.status == 2)
        #expect(run.errors.contains("environment variable CHATBOTS_CLIENT_SECRET is not set"))
    }

    @Test func anErrorInAFileIsPrintedAloneWithoutTheUsage() async throws {
        let text = try String(contentsOfFile: Self.example, encoding: .utf8).replacingOccurrences(
            of: "handler_timeout_seconds:", with: "handler_timout_seconds:")
        try await withFile("bad.yaml", text) { config in
            for arguments in [["check", "--config", config], ["replay", "/nonexistent.jsonl", "--config", config]] {
                let finished = try await Self.chatbots(arguments)
                #expect(finished.status == 2, "\(arguments)")
                let lines = finished.errors.split(separator: "\n").filter { !$0.hasPrefix("note:") }
                #expect(lines.count == 1, "one line, no usage: \(finished.errors)")
                #expect(lines.first?.hasPrefix("error: \(config):") == true)
                #expect(
                    lines.first?.contains(
                        #"engine.handler_timout_seconds: unknown key "handler_timout_seconds" (did you mean "handler_timeout_seconds"?)"#) == true)
            }
        }
        let missing = try await Self.chatbots(["replay", "/nonexistent.jsonl", "--config", Self.example])
        #expect(missing.status == 2)
        #expect(missing.errors.contains("error: cannot read /nonexistent.jsonl") && !missing.errors.contains("Usage"), "\(missing.errors)")
    }
}
