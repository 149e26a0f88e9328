import ArgumentParser
import ChatBotKit
import ChatBotRuntime
import Foundation

/// `chatbots replay`: what the configured bots would have done with recorded traffic.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the configured bots on a recording (run --record) with its own clock; send nothing.",
        discussion: """
            Try a new bot or new settings on yesterday's traffic:
              chatbots run --config prod.yaml --record monday.jsonl      # in production
              chatbots replay monday.jsonl --config candidate.yaml       # anywhere
            The store is in memory: nothing is written, nothing is sent.
            """
    )

    @Argument(help: "The recording: a JSON Lines file written by run --record.")
    var recording: String

    @Option(help: "The configuration whose bots to run.")
    var config = "Config/chatbots.yaml"

    @Flag(help: "Print the decisions and the summary as JSON.")
    var json = false

    @Option(help: "Run the clock on this long after the last frame, so timers due then fire (e.g. 1h).")
    var runOn = "0s"

    func validate() throws {
        guard ConfigDuration(parsing: runOn) != nil else {
            throw ValidationError("--run-on \"\(runOn)\" is not a duration: write e.g. 30m or 1h")
        }
    }

    func run() async throws {
        let loaded: RuntimeConfiguration
        let bots: [any Bot]
        let lines: [FrameRecorder.Line]
        do {
            let (configuration, leftOut) = try ConfigLoader.loadLeavingOutUnset(path: config)
            loaded = configuration
            bots = try BotRegistry.builtIn.makeBots(loaded.bots, file: config)
            noteLeftOut(leftOut, by: "replay")
            let read = try FrameRecorder.readSkippingDamage(path: recording)
            lines = read.lines
            if !read.badLines.isEmpty {
                FileHandle.standardError.write(
                    Data(
                        "warning: \(recording): \(read.badLines.count) lines are not recorded frames and were skipped (first: line \(read.badLines[0]))\n"
                            .utf8))
            }
        } catch let error as ConfigError {
            throw fileProblem(error)
        } catch let error as RecorderError {
            throw fileProblem(error)
        } catch {
            throw fileProblem("cannot read \(recording): \(error.localizedDescription)")
        }
        let progress = ProgressBar(total: lines.count)
        let quiet = json
        var replay = Replay(configuration: loaded, bots: bots, lines: lines)
        replay.runOn = (ConfigDuration(parsing: runOn) ?? 0).duration
        let summary = try await replay.run(
            progress: { progress.update($0) },
            decided: { decision in
                guard !quiet else { return }
                progress.clear()
                print("\(StateText.time(decision.at))  \(decision.bot): \(StateText.describe(decision.action))")
            }
        )
        progress.clear()
        if json { return print(try StoreOptions.json(summary)) }
        let kinds = summary.actionsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            """

            replayed \(summary.frames) frames (\(summary.undecodable) undecodable) from \(recording)
              the bots would have taken \(summary.decisions.count) actions\(kinds.isEmpty ? "" : ": \(kinds)")
              timers still pending at the end: \(summary.timersPending)
            """)
    }
}
