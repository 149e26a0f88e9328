import ChatBotKit
import Foundation

/// The chats and users a batch of commits leaves, each as the last commit that touched
/// it left it (each commit holds the record as it was accepted), so a store writes each
/// once. A chat forgotten after its last write in the batch is listed as forgotten
/// (marked so after the rows are written); one written again after it was forgotten
/// (it came back) is not.
struct LastRecords {
    var chats: [ChatID: ChatRecord] = [:]
    var users: [UserID: UserRecord] = [:]
    /// When each chat whose last word in the batch is that it was forgotten was forgotten.
    var forgotten: [ChatID: Date] = [:]

    init(_ commits: [Commit]) {
        for commit in commits {
            for chat in commit.chats {
                chats[chat.id] = chat
                forgotten[chat.id] = nil
            }
            for user in commit.users { users[user.id] = user }
            for chat in commit.chatsForgotten {
                chats[chat.chatID] = nil
                forgotten[chat.chatID] = chat.at
            }
        }
    }
}
