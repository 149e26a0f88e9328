import DequeModule
import Foundation
import Synchronization

/// What an input needs from outside before it enters the sequence: the chat-details
/// source's answer for a new chat (its topic) or for a chat the world does not know (its
/// client), and the chat's state from a store that reads it on demand. Fetched
/// concurrently, off the sequence; the input waits in its place.
struct InputPreparation: Sendable {
    let number: Int64
    /// The chat whose details to ask for.
    let detailsOf: ChatID?
    /// The chat whose keys to read, and how many times chats had left memory when the
    /// read began: a read that overlapped one may be older than what left, and is not used.
    let stateOf: ChatID?
    let evictions: Int
    let details: (any ChatDetailsSource)?
    let store: (any StateOnDemandStore)?

    /// What `input` needs, or `nil` if it is ready as it is. Notes a chat being read, so
    /// its next event does not read it again.
    init?(for input: EngineInput, number: Int64, core: inout EngineCore, engine: Engine, askDetails: Bool = true) {
        guard case .event(let event, _) = input, let chat = event.chatID else { return nil }
        var detailsOf: ChatID?
        if askDetails, engine.configuration.chatDetails != nil {
            if case .newChat = event {
                detailsOf = chat
            } else if core.forgetsQueued > 0 || (core.world.chats[chat] == nil && core.newChatsQueued[chat] == nil) {
                detailsOf = chat
            }
        }
        var stateOf: ChatID?
        if engine.onDemand != nil, !core.state.isResident(chat), core.staged[chat] == nil, core.loading.insert(chat).inserted {
            stateOf = chat
        }
        guard detailsOf != nil || stateOf != nil else { return nil }
        self.number = number
        self.detailsOf = detailsOf
        self.stateOf = stateOf
        evictions = core.state.evictions
        details = engine.configuration.chatDetails
        store = engine.onDemand
    }
}

extension Engine {
    /// Runs each preparation in a task of its own, as they come, until cancelled.
    func prepareInputs(_ requests: AsyncStream<InputPreparation>) async {
        await withDiscardingTaskGroup { group in
            for await preparation in requests {
                group.addTask { await self.prepare(preparation) }
            }
        }
    }

    private func prepare(_ preparation: InputPreparation) async {
        var details: ChatDetails?
        if let chat = preparation.detailsOf { details = await preparation.details?.details(of: chat) }
        // A failed read is not used: the sequence reads the chat itself, and stops if the
        // store has failed.
        var loaded: [StoredBotState]?
        if let chat = preparation.stateOf { loaded = try? await preparation.store?.chatState(of: chat) }
        core.withLock { core in
            if let chat = preparation.stateOf {
                core.loading.remove(chat)
                if let loaded, !core.state.isResident(chat), core.state.evictions == preparation.evictions {
                    core.staged[chat] = loaded
                }
            }
            if let index = core.slotIndex(preparation.number) {
                core.slots[index].isReady = true
                core.slots[index].details = details
            }
        }
        inputsChanged.notify()
    }
}
