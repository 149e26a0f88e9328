import Foundation

/// The bots' state as the engine holds it: every bot- and user-scoped key, and the keys
/// of the chats in memory. Owned by the engine's sequence; a handler reads a copy.
///
/// With a ``StateOnDemandStore`` a chat's keys are in memory only while the chat is
/// (``isResident(_:)``): they are read from the store before its event is handled, and
/// leave memory, least recently used first, once the table holds more than its budget
/// and their last write is durable. Otherwise every key is loaded at start and stays.
struct StateTable: Sendable {
    /// A value as it was stored (not decoded yet) or as a handler last wrote or read it.
    enum Entry: Sendable {
        case stored(Data)
        case value(any Codable & Sendable, bytes: Int)

        var bytes: Int {
            switch self {
            case .stored(let data): data.count + Self.overhead
            case .value(_, let bytes): bytes + Self.overhead
            }
        }

        /// What a key costs besides its value's JSON: the key, the entry, the decoded form.
        static let overhead = 128
    }

    private struct ChatEntries: Sendable {
        var entries: [StoredStateKey: Entry] = [:]
        var bytes = 0
        /// The input that last used the chat, and the last whose commit wrote to it.
        var lastUse: Int64 = 0
        var lastWrite: Int64 = 0
    }

    private var shared: [StoredStateKey: Entry] = [:]
    private var chats: [ChatID: ChatEntries] = [:]
    /// Whether chats' keys are read on demand (and may leave memory).
    let onDemand: Bool
    /// What the chats' keys in memory count against the budget.
    private(set) var chatBytes = 0
    /// How many times chats left memory: a read of a chat's keys begun before a change
    /// of this may be older than what left memory, and is not used.
    private(set) var evictions = 0
    /// Forgotten chats held resident and empty until their forget is durable.
    private var forgotten: [(chat: ChatID, input: Int64)] = []

    init(_ stored: [StoredBotState], onDemand: Bool) {
        self.onDemand = onDemand
        for state in stored {
            guard let data = state.data else { continue }
            if let chat = state.key.chatID {
                chats[chat, default: ChatEntries()].entries[state.key] = .stored(data)
                chats[chat]?.bytes += data.count + Entry.overhead
                chatBytes += data.count + Entry.overhead
            } else {
                shared[state.key] = .stored(data)
            }
        }
    }

    /// The entry for `key`, if the key has a value.
    func entry(_ key: StoredStateKey) -> Entry? {
        if let chat = key.chatID { chats[chat]?.entries[key] } else { shared[key] }
    }

    /// Whether `chat`'s keys are in memory (always, without on-demand reads).
    func isResident(_ chat: ChatID) -> Bool {
        !onDemand || chats[chat] != nil
    }

    /// Takes a chat's keys as the store holds them; the chat is in memory from now on.
    mutating func install(_ chat: ChatID, _ stored: [StoredBotState]) {
        guard chats[chat] == nil else { return }
        var loaded = ChatEntries()
        for state in stored where state.key.chatID == chat {
            guard let data = state.data else { continue }
            loaded.entries[state.key] = .stored(data)
            loaded.bytes += data.count + Entry.overhead
        }
        chats[chat] = loaded
        chatBytes += loaded.bytes
    }

    /// Drops a forgotten chat's keys (the store deletes them in input `input`'s commit).
    /// With on-demand reads the chat stays resident, with no keys, until that commit is
    /// durable: a read before then would bring the deleted keys back. (A read already
    /// begun is not used: ``evictions`` changes.)
    mutating func forget(_ chat: ChatID, at input: Int64) {
        if let gone = chats.removeValue(forKey: chat) { chatBytes -= gone.bytes }
        evictions += 1
        guard onDemand else { return }
        chats[chat] = ChatEntries(lastUse: input, lastWrite: input)
        forgotten.append((chat, input))
    }

    /// Notes that input `input` used `chat`, for the least-recently-used order.
    mutating func touch(_ chat: ChatID, at input: Int64) {
        guard onDemand else { return }
        chats[chat, default: ChatEntries()].lastUse = input
    }

    /// Sets (or with `nil` removes) a key's value, written by input `input`.
    mutating func write(_ key: StoredStateKey, _ entry: Entry?, at input: Int64) {
        guard let chat = key.chatID else {
            shared[key] = entry
            return
        }
        let delta = Self.update(&chats[chat, default: ChatEntries()], key, entry, at: input)
        chatBytes += delta
    }

    /// Writes one chat's key in place; returns the change in bytes.
    private static func update(_ chat: inout ChatEntries, _ key: StoredStateKey, _ entry: Entry?, at input: Int64) -> Int {
        let delta = (entry?.bytes ?? 0) - (chat.entries[key]?.bytes ?? 0)
        chat.entries[key] = entry
        chat.bytes += delta
        chat.lastWrite = input
        chat.lastUse = max(chat.lastUse, input)
        return delta
    }

    /// What ``resize(_:to:)`` would add to ``chatBytes``, without changing anything.
    func resizeDelta(_ key: StoredStateKey, to bytes: Int) -> Int {
        guard let chat = key.chatID, case .value(_, let counted)? = chats[chat]?.entries[key] else { return 0 }
        return bytes - counted
    }

    /// Counts a written value at its encoded size, once the committer knows it.
    mutating func resize(_ key: StoredStateKey, to bytes: Int) {
        guard let chat = key.chatID, case .value(let value, let counted)? = chats[chat]?.entries[key], counted != bytes else { return }
        chats[chat]?.entries[key] = .value(value, bytes: bytes)
        chats[chat]?.bytes += bytes - counted
        chatBytes += bytes - counted
    }

    /// Keeps the value a handler decoded from a stored entry, so the next read is a
    /// lookup; nothing if the entry changed since.
    mutating func keepDecoded(_ key: StoredStateKey, _ value: any Codable & Sendable) {
        if let chat = key.chatID {
            guard case .stored(let data) = chats[chat]?.entries[key] else { return }
            chats[chat]?.entries[key] = .value(value, bytes: data.count)
        } else {
            guard case .stored(let data) = shared[key] else { return }
            shared[key] = .value(value, bytes: data.count)
        }
    }

    /// Lets chats leave memory, least recently used first, while their keys take more
    /// than `budget` bytes: down to three quarters of it, so this runs now and then, not
    /// on every input. Only chats whose last write is durable (through input
    /// `durableThrough`): the store gives them back as they are. Called by the sequence
    /// between inputs, never while a handler holds a chat's keys.
    mutating func evict(budget: Int, durableThrough: Int64) {
        if let first = forgotten.first, first.input <= durableThrough {
            let done = forgotten.prefix { $0.input <= durableThrough }
            for entry in done where chats[entry.chat].map({ $0.entries.isEmpty && $0.lastWrite <= durableThrough }) ?? false {
                chats.removeValue(forKey: entry.chat)
            }
            forgotten.removeFirst(done.count)
        }
        guard onDemand, chatBytes > budget else { return }
        let target = budget / 4 * 3
        let candidates = chats.lazy.filter { $0.value.lastWrite <= durableThrough }
            .map { (chat: $0.key, lastUse: $0.value.lastUse) }.sorted { $0.lastUse < $1.lastUse }
        for candidate in candidates {
            guard chatBytes > target else { break }
            if let gone = chats.removeValue(forKey: candidate.chat) { chatBytes -= gone.bytes }
        }
        evictions += 1
    }

    /// Every key of `bot` in memory, for inspection.
    func entries(of bot: String) -> [StoredStateKey: Entry] {
        var found = shared.filter { $0.key.bot == bot }
        for chat in chats.values {
            for (key, entry) in chat.entries where key.bot == bot { found[key] = entry }
        }
        return found
    }
}
