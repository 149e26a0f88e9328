import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

/// The open-chats route that catching up after a gap reads: served by the emulator
/// (which keeps its world while no socket is connected), read page by page.
@Suite("The open-chats route, live", .timeLimit(.minutes(2)))
struct OpenChatsRouteTests {
    func directory(port: Int, path: String?) -> BackendDirectory {
        BackendDirectory(
            apiBaseURL: "http://127.0.0.1:\(port)", section: DirectorySection(openChatsPath: path), transport: AsyncHTTPTransport(),
            tokens: KeycloakTokenProvider(
                configuration: .init(
                    tokenURL: "http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token", clientID: "chatbots",
                    clientSecret: Secret("chatbots-secret")
                ), logger: quietLogger),
            logger: quietLogger
        )
    }

    @Test func everyOpenChatIsReadAcrossPagesWithItsMessagesAndWhoReadThem() async throws {
        try await Emulator.withRunning { emulator, port in
            // No runtime is connected: the backend goes on all the same.
            let chats = (1...7).map { emulator.openChat(client: UserID("client-\($0)"), type: .topic, topic: $0 == 1 ? "billing" : nil) }
            for (index, chat) in chats.enumerated() {
                emulator.send(
                    rawFrame:
                        #"{"event_type": "new_message", "data": {"id": \#(100 + index), "sender": "client-\#(index + 1)", "chat_id": "\#(chat)", "text": "hello", "message_type": "text", "created_at": "2026-12-04T10:00:00Z"}}"#
                )
            }
            emulator.send(rawFrame: #"{"event_type": "assign_curator", "data": {"chat_id": "\#(chats[0])", "curator_id": "curator-1"}}"#)
            emulator.send(
                rawFrame: #"{"event_type": "read_chat_message", "data": {"chat_id": "\#(chats[0])", "last_message_id": 100, "user_id": "curator-1"}}"#
            )
            for chat in chats.suffix(2) {
                emulator.send(rawFrame: #"{"event_type": "update_chat_status", "data": {"chat_id": "\#(chat)", "status": "closed"}}"#)
            }

            let open = try #require(try await directory(port: port, path: "/api/chats/?status=open&page_size=2").openChats())
            #expect(open.map(\.id) == Array(chats.prefix(5)), "five open chats over three pages, oldest first; the closed ones left out")
            let first = try #require(open.first)
            #expect(first.details.clientID == "client-1")
            #expect(first.details.type == .topic)
            #expect(first.details.topic == "billing")
            #expect(first.details.curatorID == "curator-1")
            #expect(first.messages.map(\.id) == ["100"])
            #expect(first.messages.first?.senderID == "client-1")
            #expect(first.messages.first?.readBy == ["curator-1"])
            #expect(first.messages.first?.createdAt == Date(timeIntervalSince1970: 1_796_378_400))
            #expect(open[1].messages.first?.readBy == [], "nobody read chat 2")
            #expect(open[1].details.curatorID == nil)
        }
    }

    @Test func anAbsentRouteIsNotAskedAndAFailingOneIsNamed() async throws {
        try await Emulator.withRunning { emulator, port in
            _ = emulator.openChat(client: "client-1")
            let none = try await directory(port: port, path: nil).openChats()
            #expect(none == nil)
            let failure = await #expect(throws: BackendDirectory.Failure.self) {
                try await directory(port: port, path: "/api/no-such-route/?status=open").openChats()
            }
            #expect(failure?.description.hasPrefix("open chats at http://127.0.0.1:\(port)/api/no-such-route/?status=open&page=1: HTTP 404") == true)
            let refused = await #expect(throws: BackendDirectory.Failure.self) {
                try await directory(port: port, path: "/api/chats/?status=closed").openChats()
            }
            #expect(refused?.description.contains("HTTP 400") == true)
        }
    }

    /// A run of months bounds what the emulator keeps, and its traffic follows the clock
    /// it is given: messages are written at that clock's time.
    @Test func theEmulatorFollowsItsClockAndKeepsBoundedHistory() async throws {
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        var configuration = EmulatorConfiguration(port: 0, world: .init(clients: 3, curators: 1))
        configuration.now = { clock.now() }
        configuration.historyKept = 2
        try await Emulator.withRunning(configuration) { emulator, port in
            clock.advance(by: .seconds(3_600))
            while emulator.status.openChats == 0 { emulator.generate(steps: 1) }
            let open = try #require(try await directory(port: port, path: "/api/chats/?status=open").openChats())
            let written = open.flatMap(\.messages).compactMap(\.createdAt)
            #expect(!written.isEmpty)
            #expect(written.allSatisfy { $0 == Date(timeIntervalSince1970: 1_800_003_600) })

            let chats = (1...5).map { emulator.openChat(client: UserID("client-\($0)")) }
            for chat in chats {
                emulator.send(rawFrame: #"{"event_type": "update_chat_status", "data": {"chat_id": "\#(chat)", "status": "closed"}}"#)
            }
            // The two closed last stay (their details can still be asked); the others went.
            #expect(emulator.status.chats == emulator.status.openChats + 2)
        }
    }
}
