import Synchronization

/// The faults in force on the HTTP side: failures to inject (actions and tokens),
/// answers to lose, the answer delay, and handshakes to refuse.
final class FaultState: Sendable {
    /// What to do with one action request.
    enum Verdict: Equatable {
        case proceed
        case fail(status: Int, retryAfter: Int?)
    }

    private struct Knobs {
        var pendingFailures: [FaultCommand.ActionFailure] = []
        var delayMilliseconds = 0
        var handshakeRefusal: Int?
        var tokenFailures: [FaultCommand.ActionFailure] = []
        var answersToLose = 0
        var jitterMilliseconds = 0
        var failRate = 0.0
        var throttledChats: Set<String> = []
        var throttleRetryAfter = 1
        var hangHooks = false
    }

    private let knobs = Mutex(Knobs())

    /// Takes in the HTTP-side fields of a command.
    func apply(_ command: FaultCommand) {
        knobs.withLock { knobs in
            if let failure = command.failActions, failure.count > 0 {
                knobs.pendingFailures.append(failure)
            }
            if let delay = command.delayMilliseconds {
                knobs.delayMilliseconds = max(0, delay)
            }
            if let failure = command.failTokens, failure.count > 0 {
                knobs.tokenFailures.append(failure)
            }
            if let count = command.loseAnswers {
                knobs.answersToLose = max(0, count)
            }
            if let jitter = command.jitterMilliseconds {
                knobs.jitterMilliseconds = max(0, jitter)
            }
            if let rate = command.failRate {
                knobs.failRate = min(1, max(0, rate))
            }
            if let throttle = command.throttleChats {
                knobs.throttledChats = Set(throttle.chats)
                knobs.throttleRetryAfter = max(0, throttle.retryAfter)
            }
            if let hang = command.hangHooks {
                knobs.hangHooks = hang
            }
            if let status = command.refuseHandshakes {
                knobs.handshakeRefusal = (400...599).contains(status) ? status : nil
            }
        }
    }

    /// The delay of one answer: the delay in force, spread by its jitter.
    var delay: Duration {
        let (delay, jitter) = knobs.withLock { ($0.delayMilliseconds, $0.jitterMilliseconds) }
        guard jitter > 0 else { return .milliseconds(delay) }
        return .milliseconds(max(0, delay + Int.random(in: -jitter...jitter)))
    }

    /// Whether the webhook sink is to hang instead of answering.
    var hangsHooks: Bool {
        knobs.withLock { $0.hangHooks }
    }

    /// The `Retry-After` to refuse an action on `chat` with, when that chat is throttled.
    func throttle(chat: String) -> Int? {
        knobs.withLock { $0.throttledChats.contains(chat) ? $0.throttleRetryAfter : nil }
    }

    /// The status every handshake is refused with now, if any.
    var handshakeRefusal: Int? {
        knobs.withLock { $0.handshakeRefusal }
    }

    /// Whether the next action request fails; each call uses up one injected failure.
    func nextActionVerdict() -> Verdict {
        knobs.withLock { knobs in
            let verdict = Self.takeFailure(from: &knobs.pendingFailures)
            if verdict == .proceed, knobs.failRate > 0, Double.random(in: 0..<1) < knobs.failRate {
                return .fail(status: 500, retryAfter: nil)
            }
            return verdict
        }
    }

    /// Whether the next token request fails; each call uses up one injected failure.
    func nextTokenVerdict() -> Verdict {
        knobs.withLock { Self.takeFailure(from: &$0.tokenFailures) }
    }

    /// Whether the answer to the action just applied is to be lost; uses one up.
    func takeLostAnswer() -> Bool {
        knobs.withLock { knobs in
            guard knobs.answersToLose > 0 else { return false }
            knobs.answersToLose -= 1
            return true
        }
    }

    private static func takeFailure(from failures: inout [FaultCommand.ActionFailure]) -> Verdict {
        guard var first = failures.first else { return .proceed }
        first.count -= 1
        if first.count == 0 {
            failures.removeFirst()
        } else {
            failures[0] = first
        }
        return .fail(status: first.status, retryAfter: first.retryAfter)
    }

    /// How many action requests are still to fail.
    var pendingFailureCount: Int {
        knobs.withLock { $0.pendingFailures.reduce(0) { $0 + $1.count } }
    }
}
