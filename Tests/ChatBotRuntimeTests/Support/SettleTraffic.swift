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
        await parts.gateway.waitUntil { _, counters in counters.framesReceived >= sent - sentBefore }
        await parts.engine.waitUntilIdle()
        try await eventually("the outbox to empty") { try await parts.store.pendingActionCount() == 0 }
        if emulator.status.framesBroadcast == sent { return }
    }
}
