import ChatBotKit
import Foundation

/// Short ways to make every event a backend sends, for tests.
///
/// ```swift
/// try await harness.send(.chatOpened("7", by: "client-1"))
/// try await harness.send(.message("m1", in: "7", from: "client-1", text: "Hello?"))
/// try await harness.send(.messageRead(in: "7", upTo: "m1", by: "curator-1"))
/// ```
extension ChatEvent {
    /// `new_chat`: a client opened a chat.
    public static func chatOpened(_ chat: ChatID, by client: UserID, type: ChatType = .topic) -> ChatEvent {
        .newChat(NewChat(clientID: client, chatID: chat, chatType: type))
    }

    /// `new_message`: someone wrote in a chat.
    public static func message(
        _ id: MessageID, in chat: ChatID, from sender: UserID, text: String? = "Hello",
        type: MessageType = .text, createdAt: Date? = nil, files: [MessageFile] = []
    ) -> ChatEvent {
        .newMessage(ChatMessage(id: id, senderID: sender, chatID: chat, text: text, messageType: type, createdAt: createdAt, files: files))
    }

    /// `update_message`: a message was edited.
    public static func messageEdited(
        _ id: MessageID, in chat: ChatID, from sender: UserID, text: String?, type: MessageType = .text, createdAt: Date? = nil
    ) -> ChatEvent {
        .updateMessage(ChatMessage(id: id, senderID: sender, chatID: chat, text: text, messageType: type, createdAt: createdAt))
    }

    /// `read_chat_message`: `reader` read the chat up to `message`.
    public static func messageRead(in chat: ChatID, upTo message: MessageID, by reader: UserID) -> ChatEvent {
        .readChatMessage(ReadReceipt(chatID: chat, lastMessageID: message, readerID: reader))
    }

    /// `delete_message`.
    public static func messageDeleted(_ message: MessageID, in chat: ChatID) -> ChatEvent {
        .deleteMessage(MessageDeletion(chatID: chat, messageID: message))
    }

    /// `assign_curator`: the backend assigned a curator to a chat.
    public static func curatorAssigned(_ curator: UserID, to chat: ChatID) -> ChatEvent {
        .assignCurator(CuratorAssignment(chatID: chat, curatorID: curator))
    }

    /// `update_chat_status`.
    public static func statusChanged(of chat: ChatID, to status: ChatStatus) -> ChatEvent {
        .updateChatStatus(ChatStatusChange(chatID: chat, status: status))
    }

    /// `user_status` with `online`.
    public static func online(_ user: UserID) -> ChatEvent {
        .userStatus(UserStatusChange(userID: user, status: .online))
    }

    /// `user_status` with `offline`.
    public static func offline(_ user: UserID) -> ChatEvent {
        .userStatus(UserStatusChange(userID: user, status: .offline))
    }
}
