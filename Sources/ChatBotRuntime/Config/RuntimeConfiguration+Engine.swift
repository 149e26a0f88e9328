import ChatBotKit

extension RuntimeConfiguration {
    /// The engine's settings from this file: the service account, roster, closed
    /// statuses and limits; what a live run and a replay share.
    public func engineConfiguration(chatDetails: (any ChatDetailsSource)? = nil) -> EngineConfiguration {
        EngineConfiguration(
            serviceAccountID: UserID(serviceAccountID),
            curatorRoster: engine.curators.map { UserID($0) },
            closedStatuses: Set(engine.closedStatuses.map { ChatStatus(wireValue: $0) }),
            handlerTimeout: .milliseconds(Int64(engine.handlerTimeoutSeconds * 1_000)),
            maxCommitBatch: engine.maxCommitBatch,
            maxQueuedEvents: engine.maxQueuedEvents,
            messagesKeptPerChat: engine.messagesKeptPerChat,
            stateBytesInMemory: engine.stateInMemoryMB << 20,
            chatDetails: chatDetails
        )
    }
}
