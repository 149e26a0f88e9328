import ChatEmulator
import Logging
import ServiceLifecycle
import Testing

/// The emulator stops whatever its clients are doing: `Emulator.withRunning` returns only
/// once it has, so one connection it cannot end hangs the test that started it.
///
/// A connection that had not sent a whole request head once kept it running until the
/// client let the connection go, which AsyncHTTPClient's shared client does after ten idle
/// minutes: a live test hung that long now and then.
@Suite("Stopping the emulator", .timeLimit(.minutes(2)))
struct StoppingTests {
    enum Stop: String, CaseIterable, Sendable {
        case cancellation, gracefulShutdown
    }

    @Test(arguments: Stop.allCases)
    func itStopsWhateverItsClientsAreDoing(_ stop: Stop) async throws {
        let quiet = Logger(label: "chatbots.test.emulator") { _ in SwiftLogNoOpLogHandler() }
        let emulator = try Emulator(configuration: EmulatorConfiguration(port: 0, trafficRate: 200), logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [emulator], logger: quiet))
        let stopped = Mailbox<Bool>()
        let running = Task {
            try? await group.run()
            stopped.put(true)
        }
        let port = try await emulator.waitUntilListening()

        let silent = try await BareConnection(port: port)
        let halfRequest = try await BareConnection(port: port)
        try await halfRequest.write("GET /emulator/state HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let keptAlive = try await BareConnection(port: port)
        try await keptAlive.write("GET /emulator/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(await keptAlive.nextBytes()?.hasPrefix("HTTP/1.1 200") == true)
        let token = try await HTTPProbe(endpoints: EmulatorEndpoints(port: port, configuration: emulator.configuration)).token()
        let socket = try await RawSocketProbe(port: port, path: "/connect/?token=\(token)")
        // The server accepts in order and has answered the later connections, so it holds
        // every one of them now.
        #expect(socket.statusLine.hasPrefix("HTTP/1.1 101"))

        switch stop {
        case .cancellation: running.cancel()
        case .gracefulShutdown: await group.triggerGracefulShutdown()
        }
        let finished = await stopped.take(seconds: 30) ?? false
        #expect(finished, "the emulator was still running 30 s after its \(stop.rawValue)")

        // A stuck emulator goes once its clients do: a failure above must not hang the run.
        for connection in [silent, halfRequest, keptAlive] { await connection.close() }
        await socket.close()
        await running.value
    }
}
