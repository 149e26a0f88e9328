import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import Foundation
import Logging

/// Runs bots on a recording (`run --record`) as if it were live: the engine's clock
/// follows the recorded arrival times, so timers fire where they would have; the store
/// is in memory and nothing is sent anywhere.
struct Replay {
    /// An action a bot decided, and when (on the recording's clock).
    struct Decision: Sendable, Codable, Equatable {
        var at: Date
        var bot: String
        var action: BotAction
    }

    /// What a replay went through and produced.
    struct Summary: Sendable, Codable, Equatable {
        var frames = 0
        var undecodable = 0
        var decisions: [Decision] = []
        var timersPending = 0

        var actionsByKind: [String: Int] {
            decisions.reduce(into: [:]) { $0[$1.action.kind, default: 0] += 1 }
        }
    }

    let configuration: RuntimeConfiguration
    let bots: [any Bot]
    let lines: [FrameRecorder.Line]
    /// How long past the last frame the clock runs on, so timers due then fire too
    /// (an SLA breach after the last message, say).
    var runOn: Duration = .zero

    /// Replays every line in order, then runs the clock on for ``runOn``, firing timers.
    ///
    /// - Parameters:
    ///   - progress: Told how many lines are done, after each one.
    ///   - decided: Told each action as soon as the bots decide it.
    func run(
        progress: @Sendable (Int) -> Void = { _ in },
        decided: @Sendable (Decision) -> Void = { _ in }
    ) async throws -> Summary {
        let decoder = FrameDecoder(
            maxFrameBytes: configuration.server.maxFrameBytes,
            naiveTimeZone: TimeZone(identifier: configuration.server.naiveTimeZone) ?? .gmt
        )
        let harness = BotHarness(
            bots: bots, start: lines.first?.receivedAt ?? Date(), configuration: configuration.engineConfiguration()
        )
        return try await harness.run { harness in
            var summary = Summary()
            var seen = 0
            func collect() {
                let committed = harness.store.committedActions
                for entry in committed.dropFirst(seen) {
                    // Stamped when committed, on the recording's clock: a timer's action at its own moment.
                    let decision = Decision(at: entry.createdAt, bot: entry.bot, action: entry.action)
                    summary.decisions.append(decision)
                    decided(decision)
                }
                seen = committed.count
            }
            for (index, line) in lines.enumerated() {
                try await harness.advance(to: line.receivedAt)
                collect()
                summary.frames += 1
                switch decoder.decode(text: line.frame) {
                case .success(let event): try await harness.send(event)
                case .failure: summary.undecodable += 1
                }
                collect()
                progress(index + 1)
            }
            if runOn > .zero {
                try await harness.advance(by: runOn)
                collect()
            }
            summary.timersPending = harness.timers.count
            return summary
        }
    }
}
