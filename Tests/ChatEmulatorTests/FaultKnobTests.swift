import ChatBotKit
import ChatEmulator
import Foundation
import NIOWebSocket
import Testing
import WSClient

@Suite("Fault knobs, at start and while running", .timeLimit(.minutes(2)))
struct FaultKnobTests {
    @Test func injectedFailuresComeFirstThenTheActionIsAppliedOnce() async throws {
        let faults = FaultCommand(failActions: .init(count: 2, status: 500))
        try await withEmulator(EmulatorConfiguration(faults: faults)) { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let token = try await http.token()
            let chat = emulator.openChat(client: "client-1")
            let more = try await http.json("POST", "/emulator/faults", ["fail_actions": ["count": 1, "status": 429, "retry_after": 2]], token: nil)
            #expect(more.status == 200)
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<4 {
                let answer = try await http.json("POST", "/api/chats/\(chat)/messages/", ["text": "retry me"], token: token, idempotencyKey: "k")
                statuses.append(answer.status)
                if answer.status == 429 { retryAfter = answer.header("Retry-After") }
            }
            #expect(statuses == [500, 500, 429, 201])
            #expect(retryAfter == "2")
            #expect(emulator.record.actions.map(\.outcome) == [.injectedFailure, .injectedFailure, .injectedFailure, .applied])
            #expect(emulator.record.appliedActions.count == 1)
        }
    }

    @Test func aFailRateJitterOrThrottleOutOfRangeIsRefusedByName() async throws {
        try await withEmulator { _, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let refused: [(JSONValue, String)] = [
                (.object(["fail_rate": .double(1.5)]), "fail_rate must be from 0 to 1"),
                (.object(["delay_ms": 100, "jitter_ms": -5]), "jitter_ms must be 0 or more"),
                (.object(["throttle_chats": .object(["chats": ["7"], "retry_after": -1])]), "throttle_chats.retry_after must be 0 or more"),
            ]
            for (command, named) in refused {
                let answer = try await http.json("POST", "/emulator/faults", command, token: nil)
                #expect(answer.status == 400)
                #expect(String(decoding: answer.body, as: UTF8.self).contains(named), "\(command)")
            }
        }
    }

    @Test func dropSocketsEndsThemWithoutACloseFrame() async throws {
        try await withEmulator { emulator, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            emulator.apply(FaultCommand(dropSockets: true))
            let close = try await socket.end()
            #expect(close == nil)
        }
    }

    @Test(arguments: [1000, 1001, 1011, 4001, 4003] as [UInt16])
    func closeSocketsSendsTheCode(code: UInt16) async throws {
        try await withEmulator { _, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let socket = SocketProbe(url: endpoints.socketURL(token: try await http.token()))
            try await socket.waitUntilOpen()
            _ = try await http.json("POST", "/emulator/faults", ["close_sockets": .integer(Int64(code))], token: nil)
            let close = try await socket.end()
            #expect(close?.closeCode == WebSocketErrorCode(codeNumber: Int(code)))
        }
    }

    @Test func delayedAnswersAreDelayed() async throws {
        try await withEmulator(EmulatorConfiguration(faults: FaultCommand(delayMilliseconds: 400))) { _, endpoints in
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await HTTPProbe(endpoints: endpoints).token()
            #expect(clock.now - started >= .milliseconds(400))
        }
    }

    @Test func aSilentServerLeavesPingsUnansweredSoTheClientGivesUp() async throws {
        try await withEmulator { emulator, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            var configuration = WebSocketClientConfiguration()
            // A generous period: a pong late under a loaded machine must not end the
            // socket before the server goes silent.
            configuration.autoPing = .enabled(timePeriod: .seconds(1))
            configuration.closeTimeout = .milliseconds(500)
            let socket = SocketProbe(url: endpoints.socketURL(token: token), configuration: configuration)
            try await socket.waitUntilOpen()
            // Pings are answered while the server talks: the socket stays up and
            // delivers frames across several ping periods.
            for index in 0..<3 {
                try await Task.sleep(for: .milliseconds(1_100))
                emulator.send(rawFrame: "alive \(index)")
                #expect(try await socket.nextText() == "alive \(index)")
            }
            emulator.apply(FaultCommand(silent: true))
            emulator.send(rawFrame: "never delivered")
            let ending = try await socket.next()
            guard case .ended = ending else {
                Issue.record("a silent server should end the socket through missed pongs, got \(ending)")
                return
            }
            #expect(emulator.status.silent)
        }
    }

    @Test func aBadFaultCommandIsRefusedWithTheReason() async throws {
        try await withEmulator { _, endpoints in
            let answer = try await HTTPProbe(endpoints: endpoints).json("POST", "/emulator/faults", ["close_sockets": "soon"], token: nil)
            #expect(answer.status == 400)
            #expect(answer.json["detail"]?.stringValue?.contains("close_sockets") == true)
            // A mistyped status would refuse or fail nothing, in silence.
            for (command, key) in [
                (["refuse_handshakes": 4030] as JSONValue, "refuse_handshakes"), (["refuse_handshakes": 200], "refuse_handshakes"),
                (["fail_tokens": ["count": 1, "status": 201]], "fail_tokens.status"),
            ] {
                let refused = try await HTTPProbe(endpoints: endpoints).json("POST", "/emulator/faults", command, token: nil)
                #expect(refused.status == 400, "\(command)")
                #expect(refused.json["detail"]?.stringValue?.contains(key) == true, "\(command)")
            }
        }
    }
}
