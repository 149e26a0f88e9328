@testable import ChatBotKit
import CoreMetrics
import Testing

@Suite struct BotLineupTests {
    /// Two events of lineups that run the bots in different orders (a reload between
    /// them) take the same gates in the same order, so neither can hold one the other
    /// waits for.
    @Test func gatesAreTakenInNameOrderWhateverOrderTheBotsRunIn() throws {
        let metrics = EngineMetrics(factory: NOOPMetricsHandler.instance)
        let ab = try BotLineup([CountingBot(name: "a"), CountingBot(name: "b")], keeping: nil, metrics: metrics)
        let ba = try BotLineup([CountingBot(name: "b"), CountingBot(name: "a")], keeping: ab, metrics: metrics)
        #expect(ba.members.map(\.bot.name) == ["b", "a"])
        #expect(ab.gatesInLockOrder.map(ObjectIdentifier.init) == ba.gatesInLockOrder.map(ObjectIdentifier.init))
        #expect(ab.gatesInLockOrder.map(ObjectIdentifier.init) == ab.members.map { ObjectIdentifier($0.gate) })
        #expect(throws: EngineError.duplicateBotName("a")) {
            try BotLineup([CountingBot(name: "a"), CountingBot(name: "a")], keeping: nil, metrics: metrics)
        }
    }
}
