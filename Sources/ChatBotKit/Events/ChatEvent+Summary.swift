extension ChatEvent {
    /// One line about the event for people: who did what, in which chat. Never the
    /// text of a message (that is logged only at trace).
    public var summary: String {
        switch self {
        case .userStatus(let change):
            "\(change.userID) is \(change.status.wireValue)"
        case .newChat(let chat):
            "\(chat.clientID) opened a chat about \(chat.chatType == .order ? "an order" : "a \(chat.chatType.wireValue)")"
        case .newMessage(let message):
            "\(message.senderID) wrote \(message.id) (\(message.messageType.wireValue))"
        case .updateMessage(let message):
            "\(message.senderID) edited \(message.id)"
        case .assignCurator(let assignment):
            "assigned to \(assignment.curatorID)"
        case .updateChatStatus(let change):
            "status is now \(change.status.wireValue)"
        case .readChatMessage(let receipt):
            "\(receipt.readerID) read up to \(receipt.lastMessageID)"
        case .deleteMessage(let deletion):
            "message \(deletion.messageID) deleted"
        case .unknown(let event):
            "an event of unknown type \(event.type)"
        }
    }
}
