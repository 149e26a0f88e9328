/// The engine's limits and identity.
public struct EngineConfiguration: Sendable {
    /// The service account's user id: its own messages never reach bots.
    public var serviceAccountID: UserID
    /// Users known to be curators before any event says so.
    public var curatorRoster: [UserID]
    /// Chat statuses that mean closed.
    public var closedStatuses: Set<ChatStatus>
    /// How long one handler may run before it is cancelled and its effects dropped.
    public var handlerTimeout: Duration
    /// How many handled events one transaction may hold.
    public var maxCommitBatch: Int
    /// How many events ``Engine/admit(_:receivedAt:)`` lets wait in the lanes before
    /// it waits for room: the bound that keeps a flood from growing memory without end.
    public var maxQueuedEvents: Int
    /// How many of each chat's latest messages the world model keeps.
    public var messagesKeptPerChat: Int
    /// How many bytes of bot state to hold in memory, with a store that reads it a key
    /// at a time (``StateOnDemandStore``): past it, the least recently used keys already
    /// durable leave memory, to be read again when asked for. Each key counts its value's
    /// bytes and 128 more.
    public var stateBytesInMemory: Int
    /// Asked for a new chat's topic before bots see `new_chat`; none by default.
    public var chatDetails: (any ChatDetailsSource)?

    public init(
        serviceAccountID: UserID,
        curatorRoster: [UserID] = [],
        closedStatuses: Set<ChatStatus> = [.closed, .resolved, .archived],
        handlerTimeout: Duration = .seconds(10),
        maxCommitBatch: Int = 500,
        maxQueuedEvents: Int = 10_000,
        messagesKeptPerChat: Int = 100,
        stateBytesInMemory: Int = 32 << 20,
        chatDetails: (any ChatDetailsSource)? = nil
    ) {
        self.serviceAccountID = serviceAccountID
        self.curatorRoster = curatorRoster
        self.closedStatuses = closedStatuses
        self.handlerTimeout = handlerTimeout
        self.maxCommitBatch = maxCommitBatch
        self.maxQueuedEvents = max(1, maxQueuedEvents)
        self.messagesKeptPerChat = messagesKeptPerChat
        self.stateBytesInMemory = max(0, stateBytesInMemory)
        self.chatDetails = chatDetails
    }
}
