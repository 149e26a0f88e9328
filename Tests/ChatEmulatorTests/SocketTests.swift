import ChatBotKit
import ChatEmulator
import Foundation
import HTTPTypes
import NIOWebSocket
import Testing
import WSClient

@Suite("The WebSocket /connect/ endpoint", .timeLimit(.minutes(2)))
struct SocketTests {
    @Test func aClientWithATokenReceivesGeneratedTraffic() async throws {
        try await withEmulator(EmulatorConfiguration(trafficRate: 500)) { _, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            var types: Set<EventType> = []
            for _ in 0..<40 {
                let frame = try await socket.nextText()
                let event = try FrameDecoder().decode(text: frame).get()
                types.insert(event.type)
            }
            #expect(types.contains(.newMessage))
            #expect(types.count >= 3, "generated traffic should be varied, saw \(types)")
        }
    }

    @Test func aBurstOfTrafficArrivesWholeAndABadBurstIsRefused() async throws {
        try await withEmulator { emulator, endpoints in
            let http = HTTPProbe(endpoints: endpoints)
            let socket = SocketProbe(url: endpoints.socketURL(token: try await http.token()))
            try await socket.waitUntilOpen()
            let answer = try await http.json("POST", "/emulator/traffic", ["frames": 2_000], token: nil)
            #expect(answer.status == 200)
            guard case .object(let fields) = answer.json, case .integer(let sent)? = fields["frames_sent"] else {
                Issue.record("no frames_sent in \(answer.json)")
                return
            }
            #expect(sent >= 2_000 && sent <= 2_001, "a step sends at most two frames")
            var decoded = 0
            for _ in 0..<sent where (try? FrameDecoder().decode(text: try await socket.nextText()).get()) != nil {
                decoded += 1
            }
            #expect(decoded == Int(sent))
            #expect(emulator.status.framesBroadcast == Int(sent))

            for bad: JSONValue in [["frames": 0], ["frames": 5_000_001], ["frames": "many"], [:]] {
                #expect(try await http.json("POST", "/emulator/traffic", bad, token: nil).status == 400, "\(bad)")
            }
        }
    }

    @Test func aBadTokenIsAcceptedThenClosedWith4001() async throws {
        try await withEmulator { _, endpoints in
            let socket = try await RawSocketProbe(port: endpoints.port, path: "/connect/?token=not-a-token")
            #expect(socket.statusLine.hasPrefix("HTTP/1.1 101"))
            #expect(try await socket.nextFrame() == .close(code: 4001, reason: "invalid token"))
        }
    }

    @Test func aForgedTokenIsRefused() async throws {
        try await withEmulator { _, endpoints in
            let header = Data(#"{"alg":"none"}"#.utf8).base64EncodedString()
            let claims = Data(#"{"sub":"1000","exp":9999999999,"jti":"made-up"}"#.utf8).base64EncodedString()
            let socket = try await RawSocketProbe(port: endpoints.port, path: "/connect/?token=\(header).\(claims).")
            #expect(try await socket.nextFrame() == .close(code: 4001, reason: "invalid token"))
        }
    }

    @Test func withTheFlagABadTokenIsRefusedAtTheHandshakeWith403() async throws {
        try await withEmulator(EmulatorConfiguration(refusesBadTokensAtHandshake: true)) { _, endpoints in
            let answer = try await HTTPProbe(endpoints: endpoints).send(
                "GET", "/connect/?token=bad", headers: Self.upgradeHeaders
            )
            #expect(answer.status == 403)
            let socket = SocketProbe(url: endpoints.socketURL(token: "bad"))
            guard case .failed = try await socket.next() else {
                Issue.record("the socket should not open")
                return
            }
        }
    }

    @Test func withOriginRequiredASocketWithoutOriginIsRefused() async throws {
        try await withEmulator(EmulatorConfiguration(requiresOrigin: true)) { _, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            let refused = try await HTTPProbe(endpoints: endpoints).send(
                "GET", "/connect/?token=\(token)", headers: Self.upgradeHeaders
            )
            #expect(refused.status == 403)
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders[.origin] = "https://support.example"
            let socket = SocketProbe(url: endpoints.socketURL(token: token), configuration: configuration)
            try await socket.waitUntilOpen()
        }
    }

    @Test func aTokenThatExpiresWhileConnectedClosesTheSocketWith4001() async throws {
        try await withEmulator(EmulatorConfiguration(tokenLifetime: .seconds(2))) { _, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            let close = try await socket.end()
            #expect(close?.closeCode == .unknown(4001))
            #expect(close?.reason == "token expired")
        }
    }

    @Test func revokingTokensClosesOpenSocketsWith4001AndRefusesTheOldToken() async throws {
        try await withEmulator { emulator, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            let answer = try await HTTPProbe(endpoints: endpoints).send("POST", "/emulator/tokens/revoke")
            #expect(answer.status == 200)
            #expect(try await socket.end()?.closeCode == .unknown(4001))
            let again = try await RawSocketProbe(port: endpoints.port, path: "/connect/?token=\(token)")
            #expect(try await again.nextFrame() == .close(code: 4001, reason: "invalid token"))
            #expect(emulator.status.sockets == 0)
        }
    }

    @Test func quirksSendEveryVariantAndClientsCanReadThem() async throws {
        try await withEmulator(EmulatorConfiguration(seed: 7, quirks: true)) { emulator, endpoints in
            let token = try await HTTPProbe(endpoints: endpoints).token()
            let socket = SocketProbe(url: endpoints.socketURL(token: token))
            try await socket.waitUntilOpen()
            emulator.generate(steps: 600)
            emulator.send(rawFrame: #"{"event_type": "marker", "data": {}}"#)
            let frames = try await socket.texts(through: "marker")
            var failures = 0
            var unknown = 0
            for frame in frames {
                switch FrameDecoder().decode(text: frame) {
                case .success(.unknown): unknown += 1
                case .success: break
                case .failure: failures += 1
                }
            }
            #expect(failures > 0, "quirks should include malformed frames")
            #expect(unknown > 1, "quirks should include unknown event types")
            #expect(frames.contains { $0.contains(#""chat_id":"#) && !$0.contains(#""chat_id":""#) }, "numeric ids")
            #expect(frames.contains { $0.contains(#""files":["#) }, "files as an array")
            #expect(frames.contains { $0.contains("+03:00") }, "dates with an offset")
            #expect(failures < frames.count / 10)
        }
    }

    static let upgradeHeaders = [
        "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
    ]
}
