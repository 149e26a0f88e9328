import ChatBotKit
import ChatBotRuntime
import ChatEmulator
import Testing

/// Waits until every frame the emulator sent to the socket reached the engine, is
/// handled, and its actions are delivered, and nothing new came meanwhile (a delivered
/// action makes the emulator send more: an assignment's `assign_curator`, say).
///
/// - Parameter sentBefore: Frames the emulator broadcast before this runtime connected
///   (to an earlier one): not this gateway's to receive.
func settleTraffic(_ emulator: Emulator, _ parts: BotRuntime.Parts, sentBefore: Int = 0) async throws {
    while true {
        let sent = emulator.status.framesBroadcast
        try await within(
            .seconds(45),
            "the gateway to read \(sent - sentBefore) frames; it has \(parts.gateway.statistics), the emulator \(emulator.status.sockets) sockets"
        ) {
            await parts.gateway.waitUntil { _, counters in counters.framesReceived >= sent - sentBefore }
        }
        try await within(.seconds(45), "the engine to be idle") { await parts.engine.waitUntilIdle() }
        try await eventually("the outbox to empty") { try await parts.store.pendingActionCount() == 0 }
        if emulator.status.framesBroadcast == sent { return }
    }
}
