import Logging

/// Plays a ``Scenario`` once, starting when the first socket connects.
struct ScenarioPlayer {
    let core: EmulatorCore
    let logger: Logger

    func play(_ scenario: Scenario) async throws {
        for await _ in core.hub.connectionArrivals {
            break
        }
        logger.info("playing scenario", metadata: ["emulator.steps": "\(scenario.steps.count)"])
        for step in scenario.steps {
            try await Task.sleep(for: step.delay)
            switch step.action {
            case .frame(let text): core.sendRaw(frame: text)
            case .close(let code): core.hub.sendToAll(.close(code: code, reason: "scenario"))
            case .drop: core.hub.sendToAll(.drop)
            }
        }
        logger.info("scenario finished")
    }
}
