import ChatBotKit
import Foundation
import Hummingbird

/// The webhook sink for alerts, and the routes a test or a person uses to watch and
/// steer the emulator (`/emulator/...`).
struct ControlRoutes {
    let core: EmulatorCore

    func add(to router: Router<EmulatorRequestContext>) {
        router.post("hooks/**") { request, _ in
            if core.faults.hangsHooks {
                // A dead webhook: the caller waits until its own timeout.
                try await Task.sleep(for: .seconds(86_400))
            }
            let body = try await request.collectBody().jsonValue
            core.recorder.recordAlert(path: request.uri.path, body: body)
            return Response.json(["ok": true])
        }
        router.post("outside/echo") { request, _ in
            // A service outside the backend, for bots' outside calls: it answers the body
            // it was sent, `delay_ms` late (a classifier that thinks), and counts the call.
            let delay = request.uri.queryParameters["delay_ms"].flatMap { Int64(String($0)) } ?? 0
            let body = try await request.collectBody(limit: 64 * 1024)
            core.recorder.recordOutsideCall()
            if delay > 0 { try await Task.sleep(for: .milliseconds(min(delay, 60_000))) }
            return Response(status: .ok, body: ResponseBody(byteBuffer: body))
        }
        router.get("emulator/record") { _, _ in
            Response.json(core.recorder.snapshot)
        }
        router.get("emulator/openings") { _, _ in
            // When each chat's new_chat went out, in seconds since 1970: a script times
            // from it to the chat's first action, as `chatbots bench` does in process.
            let openings = core.recorder.chatsOpened
            return Response.json(
                JSONValue.object(
                    Dictionary(
                        uniqueKeysWithValues: openings.map { chat, date in
                            (chat.rawValue, JSONValue.double(date.timeIntervalSince1970))
                        })))
        }
        router.get("emulator/state") { _, _ in
            Response.json(EmulatorStatus(core: core))
        }
        router.post("emulator/faults") { request, _ in
            let buffer = try await request.collectBody(limit: 64 * 1024)
            let command: FaultCommand
            do {
                command = try JSONDecoder().decode(FaultCommand.self, from: Data(buffer.readableBytesView))
            } catch {
                return Response.detail("not a fault command: \(error)", status: 400)
            }
            if let problem = command.problem {
                return Response.detail(problem, status: 400)
            }
            core.apply(command)
            return Response.json(EmulatorStatus(core: core))
        }
        router.post("emulator/frames") { request, _ in
            let buffer = try await request.collectBody(limit: 4 << 20)
            core.sendRaw(frame: String(buffer: buffer))
            return Response.json(["sent_to": core.hub.count])
        }
        router.post("emulator/traffic") { request, _ in
            let buffer = try await request.collectBody(limit: 64 * 1024)
            guard let burst = try? JSONDecoder().decode(Burst.self, from: Data(buffer.readableBytesView)),
                (1...Burst.maxFrames).contains(burst.frames)
            else {
                return Response.detail("expected {\"frames\": N} with N from 1 to \(Burst.maxFrames)", status: 400)
            }
            return Response.json(["frames_sent": core.generateBurst(frames: burst.frames)])
        }
        router.post("emulator/tokens/revoke") { _, _ in
            core.revokeTokens()
            return Response.json(EmulatorStatus(core: core))
        }
    }
}

/// `POST /emulator/traffic`: a burst of generated traffic, sent at once.
private struct Burst: Decodable {
    /// A burst is built in memory before it is sent (about 300 bytes a frame).
    static let maxFrames = 5_000_000
    let frames: Int
}

/// A summary of the emulator for `GET /emulator/state`.
public struct EmulatorStatus: Codable, Sendable, Equatable {
    public var sockets: Int
    public var silent: Bool
    public var chats: Int
    public var openChats: Int
    /// Chats opened since the start, those no longer kept included.
    public var chatsOpenedInAll: Int
    public var curatorsOnline: Int
    public var pendingActionFailures: Int
    public var actionsReceived: Int
    public var alertsReceived: Int
    /// Event frames broadcast so far, counted once per socket they went to: with one
    /// client connected, what it should have received.
    public var framesBroadcast: Int

    init(core: EmulatorCore) {
        sockets = core.hub.count
        silent = core.hub.isSilent
        (chats, openChats, chatsOpenedInAll, curatorsOnline) = core.read { world in
            (world.chats.count, world.openChatIDs.count, world.chatsOpenedInAll, world.curators.values.filter(\.isOnline).count)
        }
        pendingActionFailures = core.faults.pendingFailureCount
        let record = core.recorder.snapshot
        actionsReceived = record.actions.count
        alertsReceived = record.alerts.count
        framesBroadcast = core.hub.framesBroadcast
    }

    enum CodingKeys: String, CodingKey {
        case sockets, silent, chats
        case openChats = "open_chats"
        case chatsOpenedInAll = "chats_opened_in_all"
        case curatorsOnline = "curators_online"
        case pendingActionFailures = "pending_action_failures"
        case actionsReceived = "actions_received"
        case alertsReceived = "alerts_received"
        case framesBroadcast = "frames_broadcast"
    }
}
