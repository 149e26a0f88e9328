import ChatBotKit
import ChatBotTesting
import Foundation
import GRDB
import Testing

@testable import ChatBotRuntime

@Suite("The world's tables: a row per chat, user and kept message", .timeLimit(.minutes(2)))
struct WorldTablesTests {
    /// Chats opened, assigned, closed; messages past the kept limit, edited, deleted
    /// and read; presence and topics: a restart must rebuild the same world.
    @Test func aRestartRebuildsTheWorldExactly() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            let clock = VirtualClock()
            var configuration = EngineConfiguration(serviceAccountID: "1000")
            configuration.messagesKeptPerChat = 3
            let events: [ChatEvent] =
                [
                    .chatOpened("c1", by: "client-1"), .chatOpened("c2", by: "client-2", type: .order),
                    .online("curator-1"), .curatorAssigned("curator-1", to: "c1"), .curatorAssigned("curator-1", to: "c2"),
                    .statusChanged(of: "c2", to: "closed"),
                ]
                + (1...8).map { index in
                    .message(MessageID(Int64(index)), in: "c1", from: index % 3 == 0 ? "curator-1" : "client-1")
                } + [
                    .messageEdited("7", in: "c1", from: "client-1", text: "edited"), .messageDeleted("7", in: "c1"),
                    .messageRead(in: "c1", upTo: "8", by: "curator-1"), .message("1", in: "c2", from: "client-2"),
                    .offline("curator-1"),
                ]
            let before = try await withRunningEngine(bots: [], store: try SQLiteStore(path: path), clock: clock, configuration: configuration) {
                engine in
                try await engine.learnDirectory([DirectoryEntry(curatorID: "curator-1", topics: ["billing", "returns"])])
                for event in events {
                    engine.submit(event, receivedAt: clock.now())
                    clock.advance(by: .milliseconds(1_250))
                }
                await engine.waitUntilIdle()
                return engine.worldModel
            }
            #expect(before.chats["c1"]?.messages.map(\.id) == ["6", "8"], "kept: the last three, less the deleted one")
            #expect(before.users["curator-1"]?.openChats == ["c1"])
            let after = try await withRunningEngine(bots: [], store: try SQLiteStore(path: path), clock: clock, configuration: configuration) {
                engine in
                engine.worldModel
            }
            #expect(after == before)
            let rows = try await DatabaseQueue(path: path).read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") ?? -1
            }
            #expect(rows == 3, "a row per kept message: two in c1, one in c2")
        }
    }

    @Test func aStoreOfTheFirstVersionMovesToRowsAndKeepsItsWorld() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("chatbots.sqlite").path
            var chat = ChatRecord(id: "c1")
            chat.clientID = "client-1"
            chat.type = .topic
            chat.status = "open"
            chat.curatorID = "curator-1"
            chat.openedAt = Date(timeIntervalSinceReferenceDate: 812_345_678.123_456)
            chat.messageCount = 2
            chat.messages = [1, 2].map { sequence in
                MessageRecord(
                    id: MessageID(Int64(sequence)), senderID: "client-1", senderRole: .client, messageType: .text,
                    sequence: sequence, createdAt: nil, receivedAt: Date(timeIntervalSinceReferenceDate: 812_345_679.5 + Double(sequence))
                )
            }
            chat.readUpTo = ["client-1": 2, "curator-1": 1]
            chat.lastClientMessageAt = chat.messages.last?.receivedAt
            var curator = UserRecord(id: "curator-1", role: .curator)
            curator.presence = .online
            curator.openChats = ["c1"]
            curator.topics = ["billing"]
            let firstVersion = try DatabaseQueue(path: path)
            try StoreMigrations.migrator.migrate(firstVersion, upTo: "v1: world, bot state, timers, outbox")
            let (chatRecord, curatorRecord) = (try JSONEncoder().encode(chat), try JSONEncoder().encode(curator))
            try await firstVersion.write { db in
                try db.execute(sql: "INSERT INTO chat (id, record) VALUES (?, ?)", arguments: ["c1", chatRecord])
                try db.execute(sql: "INSERT INTO user (id, record) VALUES (?, ?)", arguments: ["curator-1", curatorRecord])
            }

            let migratedAt = Date()
            let snapshot = try await SQLiteStore(path: path).load()
            // Retention (v6) counts a chat stored before as active at the upgrade.
            let lastEvent = try #require(snapshot.chats.first?.lastEventAt)
            #expect(abs(lastEvent.timeIntervalSince(migratedAt)) < 120)
            #expect(
                snapshot.chats.map {
                    var chat = $0
                    chat.lastEventAt = nil
                    return chat
                } == [chat])
            curator.openChats = []  // derived by the world model, not stored
            #expect(snapshot.users == [curator])
            let world = WorldModel(serviceAccountID: "1000", chats: snapshot.chats, users: snapshot.users)
            #expect(world.users["curator-1"]?.openChats == ["c1"])
        }
    }
}
