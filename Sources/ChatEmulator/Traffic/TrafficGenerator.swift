import ChatBotKit
import Foundation

/// Makes a lively backend: clients open chats of both types and write, curators come
/// and go, read chats and answer, chats get closed.
///
/// Each ``step(in:now:)`` picks one thing that happens and applies it to the world,
/// returning the events it caused. The choice is driven by a seeded generator, so the
/// same seed gives the same story.
struct TrafficGenerator: Sendable {
    private var random: SeededGenerator
    private let clients: [UserID]
    private let curators: [UserID]
    private let topics: [String]

    static let clientLines = [
        "Здравствуйте! Где мой заказ? Уже неделя прошла.",
        "Hello, I was charged twice for order 48213, can you check?",
        "Можно поменять адрес доставки?",
        "The parcel arrived damaged, what should I do?",
        "Подскажите, как оформить возврат?",
        "Is anyone there?",
        "Спасибо, жду ответа.",
    ]

    static let curatorLines = [
        "Добрый день! Сейчас проверю.",
        "Thanks for waiting, I'm looking into it.",
        "Вернула деньги, они придут в течение 3 дней.",
        "Could you send a photo of the package?",
    ]

    init(seed: UInt64, world: EmulatorConfiguration.WorldSize) {
        random = SeededGenerator(seed: seed)
        clients = (1...max(1, world.clients)).map { UserID("client-\($0)") }
        curators = (1...max(1, world.curators)).map { UserID("curator-\($0)") }
        topics = world.topics.isEmpty ? ["general"] : world.topics
    }

    /// Puts the curators into the world's directory, half of them online.
    func populate(_ world: inout BackendWorld) {
        for (index, curator) in curators.enumerated() {
            let topics = [topics[index % topics.count], topics[(index + 1) % topics.count]]
            world.addCurator(curator, topics: Array(Set(topics)).sorted(), isOnline: index % 2 == 0)
        }
    }

    /// One thing happens. A step costs the same however many chats are open: chats are
    /// picked by sampling, never by scanning them all.
    mutating func step(in world: inout BackendWorld, now: Date) -> [ChatEvent] {
        let openCount = world.openChatIDs.count
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<14 where openCount < clients.count * 2, _ where openCount == 0:
            return openChat(in: &world, now: now)
        case 14..<52:
            return clientWrites(in: &world, now: now)
        case 52..<66:
            return curatorAnswers(in: &world, now: now)
        case 66..<80:
            return curatorReads(in: &world)
        case 80..<90:
            return presenceChanges(in: &world)
        case 90..<95:
            return closeChat(in: &world)
        case 95..<97:
            return curatorTakesChat(in: &world)
        default:
            return deleteMessage(in: &world)
        }
    }

    /// A random open chat that meets `condition`, or `nil` when a few tries find none.
    private mutating func sampleOpenChat(
        in world: BackendWorld, where condition: (BackendWorld.Chat) -> Bool = { _ in true }
    ) -> BackendWorld.Chat? {
        let open = world.openChatIDs
        guard !open.isEmpty else { return nil }
        for _ in 0..<16 {
            if let chat = world.chats[open[Int.random(in: 0..<open.count, using: &random)]], condition(chat) {
                return chat
            }
        }
        return nil
    }

    private mutating func openChat(in world: inout BackendWorld, now: Date) -> [ChatEvent] {
        let client = clients.randomElement(using: &random) ?? "client-1"
        let type: ChatType = Bool.random(using: &random) ? .order : .topic
        let topic = type == .topic ? topics.randomElement(using: &random) : nil
        let opened = world.openChat(client: client, type: type, topic: topic)
        guard let chatID = opened.chatID else { return [opened] }
        let first = world.postMessage(in: chatID, from: client, text: Self.clientLines.randomElement(using: &random), at: now)
        return [opened] + (first.map { [$0] } ?? [])
    }

    private mutating func clientWrites(in world: inout BackendWorld, now: Date) -> [ChatEvent] {
        guard let chat = sampleOpenChat(in: world) else { return [] }
        if Int.random(in: 0..<10, using: &random) == 0 {
            let file = MessageFile(id: FileID(Int64.random(in: 1...99_999, using: &random)), url: "https://files.example/upload/\(chat.id)/photo.jpg")
            return world.postMessage(in: chat.id, from: chat.clientID, text: nil, type: .file, files: [file], at: now).map { [$0] } ?? []
        }
        let text = Self.clientLines.randomElement(using: &random)
        return world.postMessage(in: chat.id, from: chat.clientID, text: text, at: now).map { [$0] } ?? []
    }

    private mutating func curatorAnswers(in world: inout BackendWorld, now: Date) -> [ChatEvent] {
        let staffed = sampleOpenChat(in: world) { chat in chat.curatorID.map { world.curators[$0]?.isOnline == true } ?? false }
        guard let chat = staffed, let curator = chat.curatorID else { return [] }
        let text = Self.curatorLines.randomElement(using: &random)
        return world.postMessage(in: chat.id, from: curator, text: text, at: now).map { [$0] } ?? []
    }

    /// A curator picks up a waiting chat by hand, as people do even where bots assign.
    private mutating func curatorTakesChat(in world: inout BackendWorld) -> [ChatEvent] {
        let online = curators.filter { world.curators[$0]?.isOnline == true }
        guard let chat = sampleOpenChat(in: world, where: { $0.curatorID == nil }),
            let curator = online.randomElement(using: &random)
        else { return [] }
        return world.assign(curator, to: chat.id).map { [$0] } ?? []
    }

    private mutating func curatorReads(in world: inout BackendWorld) -> [ChatEvent] {
        let staffed = sampleOpenChat(in: world) { $0.curatorID != nil && !$0.messages.isEmpty }
        guard let chat = staffed, let curator = chat.curatorID,
            let last = chat.lastMessageID
        else { return [] }
        return world.read(chat.id, upTo: last, by: curator).map { [$0] } ?? []
    }

    private mutating func presenceChanges(in world: inout BackendWorld) -> [ChatEvent] {
        guard let curator = curators.randomElement(using: &random), let current = world.curators[curator] else { return [] }
        return world.setPresence(of: curator, online: !current.isOnline).map { [$0] } ?? []
    }

    private mutating func closeChat(in world: inout BackendWorld) -> [ChatEvent] {
        guard let chat = sampleOpenChat(in: world, where: { $0.curatorID != nil }) else { return [] }
        return world.setStatus(.closed, of: chat.id).map { [$0] } ?? []
    }

    private mutating func deleteMessage(in world: inout BackendWorld) -> [ChatEvent] {
        guard let chat = sampleOpenChat(in: world), let last = chat.lastMessageID else { return [] }
        return world.delete(last, in: chat.id).map { [$0] } ?? []
    }
}
