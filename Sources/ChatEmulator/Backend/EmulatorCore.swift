import ChatBotKit
import DequeModule
import Foundation
import Synchronization

/// The emulator's parts, shared by its HTTP routes, its sockets and its traffic.
final class EmulatorCore: Sendable {
    /// A stored answer to an action, for repeats of its `Idempotency-Key`.
    struct StoredAnswer: Sendable {
        let status: Int
        let body: JSONValue
    }

    /// What one lock guards: the world, the generator that changes it, the encoder
    /// whose random choices must follow the same order, and the idempotency keys.
    struct State: Sendable {
        var world = BackendWorld()
        var generator: TrafficGenerator
        var publisher: FramePublisher
        var answers: [String: StoredAnswer] = [:]
        /// Keys in the order applied, when their number is bounded.
        var answerOrder: Deque<String> = []
    }

    let configuration: EmulatorConfiguration
    let tokens: TokenIssuer
    let hub = ConnectionHub()
    let faults = FaultState()
    let recorder: Recorder
    private let state: Mutex<State>

    init(configuration: EmulatorConfiguration) {
        self.configuration = configuration
        recorder = Recorder(kept: configuration.historyKept)
        tokens = TokenIssuer(subject: configuration.serviceAccountID, lifetime: configuration.tokenLifetime)
        var initial = State(
            generator: TrafficGenerator(seed: configuration.seed, world: configuration.world),
            publisher: FramePublisher(quirks: configuration.quirks, seed: configuration.seed)
        )
        initial.generator.populate(&initial.world)
        initial.world.closedChatsKept = configuration.historyKept
        state = Mutex(initial)
        apply(configuration.faults)
    }

    /// Changes the world and broadcasts the events the change caused, under one lock,
    /// so every socket sees events in the order the world changed.
    func change<Result>(_ body: (inout BackendWorld) -> (Result, [ChatEvent])) -> Result {
        state.withLock { state in
            let (result, events) = body(&state.world)
            publish(events, with: &state.publisher)
            return result
        }
    }

    /// Runs one step of generated traffic; returns how many frames it sent.
    @discardableResult
    func generateStep() -> Int {
        state.withLock { state in
            let events = state.generator.step(in: &state.world, now: configuration.now())
            return publish(events, with: &state.publisher)
        }
    }

    /// Generates at least `frames` frames of traffic first, then hands them to every
    /// socket at once: a burst that arrives as fast as a client reads, for benchmarks
    /// (generation costs nothing on the client's clock). Returns how many it sent.
    @discardableResult
    func generateBurst(frames wanted: Int) -> Int {
        state.withLock { state in
            var frames: [String] = []
            var events: [ChatEvent] = []
            frames.reserveCapacity(wanted + 2)
            // A world that generates nothing (no clients) ends the burst short.
            var quietSteps = 0
            while frames.count < wanted, quietSteps < 1_000 {
                let step = state.generator.step(in: &state.world, now: configuration.now())
                quietSteps = step.isEmpty ? quietSteps + 1 : 0
                frames += state.publisher.frames(for: step)
                events += step
            }
            hub.broadcast(frames)
            recorder.noteOpenings(in: events)
            return frames.count
        }
    }

    /// Sends a frame exactly as given; if it reads as an event, the world takes it in.
    func sendRaw(frame: String) {
        state.withLock { state in
            if case .success(let event) = FrameDecoder().decode(text: frame) {
                state.world.observe(event)
            }
            hub.broadcast(frame)
        }
    }

    /// Reads the world.
    func read<Result>(_ body: (BackendWorld) -> Result) -> Result {
        state.withLock { body($0.world) }
    }

    /// The stored answer for an idempotency key, if that key was applied before.
    func storedAnswer(for key: String) -> StoredAnswer? {
        state.withLock { $0.answers[key] }
    }

    /// Applies an action unless its key was applied already; the check and the change
    /// are one step, so two concurrent repeats apply once.
    func applyOnce(
        key: String?, _ body: (inout BackendWorld) -> (StoredAnswer, [ChatEvent])
    ) -> (answer: StoredAnswer, replayed: Bool) {
        state.withLock { state in
            if let key, let stored = state.answers[key] {
                return (stored, true)
            }
            let (answer, events) = body(&state.world)
            if let key, (200..<300).contains(answer.status) {
                state.answers[key] = answer
                if let kept = configuration.historyKept {
                    state.answerOrder.append(key)
                    while state.answerOrder.count > kept, let oldest = state.answerOrder.popFirst() { state.answers[oldest] = nil }
                }
            }
            publish(events, with: &state.publisher)
            return (answer, false)
        }
    }

    /// Applies a fault command: socket faults now, HTTP faults from the next request.
    func apply(_ command: FaultCommand) {
        faults.apply(command)
        if let silent = command.silent {
            hub.setSilent(silent)
        }
        if let code = command.closeSockets {
            hub.sendToAll(.close(code: code, reason: "closed by the emulator"))
        }
        if command.dropSockets == true {
            hub.sendToAll(.drop)
        }
    }

    /// Revokes every token, closing open sockets with 4001 as an expiry would.
    func revokeTokens() {
        tokens.revokeAll()
        hub.sendToAll(.close(code: SocketSession.tokenCloseCode, reason: "token revoked"))
    }

    @discardableResult
    private func publish(_ events: [ChatEvent], with publisher: inout FramePublisher) -> Int {
        guard !events.isEmpty else { return 0 }
        let frames = publisher.frames(for: events)
        hub.broadcast(frames)
        recorder.noteOpenings(in: events)
        return frames.count
    }
}
