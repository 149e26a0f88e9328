import ChatBotKit
import Testing

@testable import ChatEmulator

/// The emulator's record: whole for tests, bounded for a run of months.
@Suite struct RecorderTests {
    @Test func aBoundedRecordKeepsTheLatestAndNumbersOn() {
        let recorder = Recorder(kept: 2)
        for index in 1...5 {
            recorder.recordAction(
                method: "POST", path: "/api/chats/\(index)/messages/", idempotencyKey: nil, body: .null, status: 201, outcome: .applied)
        }
        let actions = recorder.snapshot.actions
        #expect(actions.map(\.sequence) == [4, 5], "trimmed to the latest once it held twice the bound")
        #expect(actions.last?.path == "/api/chats/5/messages/")
        let whole = Recorder()
        for _ in 1...5 { whole.recordAlert(path: "/hooks/alerts", body: .null) }
        #expect(whole.snapshot.alerts.map(\.sequence) == [1, 2, 3, 4, 5])
    }
}
