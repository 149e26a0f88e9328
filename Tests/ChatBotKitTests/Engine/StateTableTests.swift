import Foundation
import Testing

@testable import ChatBotKit

/// What may leave memory, and in which order: the rules that keep a chat's state in the
/// store and in memory the same.
@Suite struct StateTableTests {
    private func key(_ chat: ChatID) -> StoredStateKey {
        StoredStateKey(bot: "b", scope: .chat(chat), name: "n")
    }

    @Test func chatsLeaveLeastRecentlyUsedFirstAndNeverBeforeTheirLastWriteIsDurable() {
        var table = StateTable([], onDemand: true)
        for (input, chat) in ["a", "b", "c", "d"].enumerated() {
            table.install(ChatID(chat), [])
            table.write(key(ChatID(chat)), .value(1, bytes: 100), at: Int64(input + 1))
        }
        table.touch("a", at: 5)  // a used again: the most recent now
        let perChat = 100 + StateTable.Entry.overhead
        #expect(table.chatBytes == 4 * perChat)
        // Over a budget of three chats: down to three quarters of it. Durable through
        // input 3: d (written by 4) must stay, whatever its age.
        table.evict(budget: 3 * perChat, durableThrough: 3)
        #expect(!table.isResident("b") && !table.isResident("c"), "the least recently used go first")
        #expect(table.isResident("a") && table.isResident("d"))
        #expect(table.evictions == 1)
        // Under the budget, nothing more leaves.
        table.evict(budget: 3 * perChat, durableThrough: 10)
        #expect(table.isResident("a") && table.isResident("d"))
        #expect(table.evictions == 1)
    }

    @Test func botAndUserKeysStayAndEveryChatIsInMemoryWithoutOnDemandReads() {
        var table = StateTable([StoredBotState(key: key("a"), data: Data("1".utf8))], onDemand: false)
        #expect(table.isResident("never-seen"))
        let shared = StoredStateKey(bot: "b", scope: .user("u"), name: "n")
        table.write(shared, .value(2, bytes: 1), at: 1)
        table.evict(budget: 0, durableThrough: 10)
        #expect(table.entry(key("a")) != nil)
        #expect(table.entry(shared) != nil)
    }
}
