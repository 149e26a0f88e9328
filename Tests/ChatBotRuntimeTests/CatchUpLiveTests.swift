import AutoAssign
import ChatBotKit
import ChatBotRuntime
import ChatBotTesting
import ChatEmulator
import Foundation
import Testing

/// Catching up after a gap, live: the socket goes down, the backend goes on (the
/// emulator keeps its world and serves the open chats), and after the reconnect the
/// runtime hands its bots what they missed, once.
@Suite("Catching up after a gap, live", .timeLimit(.minutes(3)))
struct CatchUpLiveTests {
    static func configuration(port: Int, store: String, directory: String) -> String {
        emulatorRuntimeYAML(
            port: port, store: store,
            extra: """
                engine:
                  curators: [curator-1, curator-2, curator-3]
                directory:
                \(directory)
                bots:
                  - type: auto_assign
                    options: {strategy: least_loaded, max_open_chats: 3}
                  - type: sla_alerts
                    options:
                      policies: [{kind: first_response, warning: 1h, breach: 2h}]
                """)
    }

    static let fullDirectory = """
          open_chats_path: /api/chats/?status=open&page_size=2
          chat_details_path: /api/chats/{chat_id}/
        """

    /// Five chats opened and twenty messages written while the socket was down are all
    /// assigned and start their SLA clocks after the reconnect, none twice; a chat a
    /// person assigned meanwhile is not assigned again. (Pages of two: the route is
    /// read to its end.)
    @Test func whatHappenedWhileTheSocketWasDownIsHandledOnceAfterTheReconnect() async throws {
        try await withGap(directory: Self.fullDirectory) { emulator, runtime, parts, gap in
            #expect(parts.engine.statistics.catchUps == 2)
            let said = try #require(parts.engine.lastCatchUp?.description)
            #expect(said.hasPrefix("recovered 5 chats and 21 messages (1 chat learned with its curator) after "), "\(said)")
            #expect(said.hasSuffix(" s down"))
            let status = try #require(await runtime.status())
            #expect(status.lastCatchUp == said)
            let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
            #expect(json.contains(#""last_catch_up_at""#))
            let traffic = TrafficReport(emulator.record)
            #expect(traffic.refused == 0)
            #expect(
                traffic.assignedChats == Set(([gap.before, gap.after] + gap.opened).map(\.rawValue)), "the five, and those before and after the gap")
            #expect(traffic.assignments == traffic.assignedChats.count, "each chat assigned once")
            #expect(traffic.distinctKeys == traffic.actions)
            // One first-response clock per chat whose client wrote, timed from the message.
            let clocks = parts.engine.pendingTimers.filter { $0.key.bot == "sla_alerts" }.values
            #expect(Set(clocks.compactMap(\.chatID)) == Set(gap.opened + [gap.assignedByPerson]))
            #expect(clocks.count == 6)
            let world = parts.engine.worldModel
            #expect(gap.opened.allSatisfy { world.chats[$0]?.messages.count == 4 })
            #expect(world.chats[gap.assignedByPerson]?.curatorID == "curator-3")

            // A frame of the gap that arrives late repeats what the catch-up recovered: skipped.
            let late = try #require(world.chats[gap.opened[0]]?.messages.first)
            emulator.send(
                rawFrame:
                    #"{"event_type": "new_message", "data": {"id": "\#(late.id)", "sender": "\#(late.senderID)", "chat_id": "\#(gap.opened[0])", "text": "again", "message_type": "text"}}"#
            )
            try await eventually("the repeat to be skipped") { parts.engine.statistics.repeatsSkipped == 1 }
            #expect(parts.engine.worldModel.chats[gap.opened[0]]?.messages.count == 4)
        }
    }

    /// A curator who went offline while the socket was down is offline after the
    /// reconnect, by the curator directory read with the list, before the chats opened
    /// meanwhile are handed out: none of them goes to her.
    @Test func aCuratorWhoLeftDuringTheGapIsGivenNoneOfItsChats() async throws {
        let directory = Self.fullDirectory + "\n  curators_path: /api/curators/"
        try await withGap(directory: directory, offlineInTheGap: ["curator-3"]) { emulator, runtime, parts, gap in
            let said = try #require(parts.engine.lastCatchUp?.description)
            #expect(said.contains("1 presence change"), "\(said)")
            #expect(parts.engine.worldModel.users["curator-3"]?.presence == .offline)
            let assigned = Applied(emulator.record)
            for chat in gap.opened {
                let curator = assigned.curator[chat.rawValue]
                #expect(curator != nil && curator != "curator-3", "chat \(chat) went to \(curator ?? "nobody")")
            }
        }
    }

    /// The curator each chat was assigned to, by the actions the emulator applied.
    struct Applied {
        var curator: [String: String] = [:]

        init(_ record: EmulatorRecord) {
            for action in record.appliedActions {
                let parts = action.path.split(separator: "/").map(String.init)
                guard parts.count == 4, parts[3] == "assign", case .object(let fields) = action.body,
                    case .string(let curator)? = fields["curator_id"]
                else { continue }
                self.curator[parts[2]] = curator
            }
        }
    }

    /// Without the route, or with one that fails, nothing else changes: the runtime
    /// reads live events as before, and says what it could not do.
    @Test(arguments: [
        "  chat_details_path: /api/chats/{chat_id}/",
        "  open_chats_path: /api/no-such-route/",
    ])
    func withoutAWorkingRouteNothingIsRecoveredAndNothingElseChanges(directory: String) async throws {
        try await withGap(directory: directory) { emulator, runtime, parts, gap in
            #expect(parts.engine.statistics.eventsRecovered == 0)
            #expect(parts.engine.statistics.catchUps == 0)
            let traffic = TrafficReport(emulator.record)
            #expect(traffic.assignedChats == [gap.before.rawValue, gap.after.rawValue])
            #expect(parts.engine.worldModel.chats[gap.opened[0]] == nil)
            #expect(await runtime.status()?.lastCatchUp == nil)
        }
    }

    struct Gap {
        var before: ChatID
        var opened: [ChatID] = []
        var assignedByPerson: ChatID = ""
        var after: ChatID = ""
    }

    /// Runs the runtime with `directory`, opens a chat, takes the socket down, sends
    /// `offlineInTheGap` offline, opens five chats with four client messages each and a
    /// sixth that curator-3 takes, lets the
    /// socket back, opens one more chat live once any catch-up is done, and waits for
    /// everything to settle.
    private func withGap(
        directory: String, offlineInTheGap: [UserID] = [],
        _ body: @Sendable (Emulator, BotRuntime, BotRuntime.Parts, Gap) async throws -> Void
    ) async throws {
        let emulatorConfiguration = EmulatorConfiguration(seed: 5, world: .init(clients: 8, curators: 3))
        try await Emulator.withRunning(emulatorConfiguration) { emulator, port in
            try await withTemporaryFolder { folder in
                let yaml = Self.configuration(port: port, store: folder.appendingPathComponent("bots.sqlite").path, directory: directory)
                let loaded = try ConfigLoader.parse(yaml, file: "catch-up.yaml", environment: [:])
                let runtime = BotRuntime(
                    configuration: loaded, bots: try BotRegistry.builtIn.makeBots(loaded.bots, file: "catch-up.yaml"), logger: quietLogger)
                try await withConnectedRuntime(runtime) { parts in
                    for curator in ["curator-1", "curator-2", "curator-3"] {
                        try emulator.send(.userStatus(.init(userID: UserID(curator), status: .online)))
                    }
                    try await eventually("the emulator to hold the socket") { emulator.status.sockets == 1 }
                    var gap = Gap(before: emulator.openChat(client: "client-1"))
                    try await settleTraffic(emulator, parts)

                    emulator.apply(FaultCommand(dropSockets: true, refuseHandshakes: 503))
                    await parts.gateway.waitUntil { state, _ in if case .disconnected = state { true } else { false } }
                    // No socket at all: what happens now reaches nobody.
                    try await eventually("the emulator to hold no socket") { emulator.status.sockets == 0 }
                    for index in 2...6 {
                        let chat = emulator.openChat(client: UserID("client-\(index)"))
                        for number in 1...4 {
                            try emulator.send(
                                .message(MessageID("gap-\(index)-\(number)"), in: chat, from: UserID("client-\(index)"), createdAt: Date()))
                        }
                        gap.opened.append(chat)
                    }
                    for curator in offlineInTheGap { try emulator.send(.userStatus(.init(userID: curator, status: .offline))) }
                    gap.assignedByPerson = emulator.openChat(client: "client-7")
                    try emulator.send(.message("gap-7-1", in: gap.assignedByPerson, from: "client-7", createdAt: Date()))
                    try emulator.send(.curatorAssigned("curator-3", to: gap.assignedByPerson))

                    emulator.apply(FaultCommand(refuseHandshakes: 0))
                    await parts.gateway.waitUntil { _, counters in counters.connections >= 2 }
                    try await eventually("the emulator to hold the new socket") { emulator.status.sockets == 1 }
                    try await eventually("the catch-up, if any, to be handled") {
                        parts.engine.statistics.catchUps == 2 || !directory.hasPrefix(Self.fullDirectory)
                    }
                    // After the catch-up: live, as ever. (Opened earlier, its assignment
                    // could race the listing, which would then recover it.)
                    gap.after = emulator.openChat(client: "client-8")
                    try await settleTraffic(emulator, parts)
                    try await body(emulator, runtime, parts, gap)
                }
            }
        }
    }
}
