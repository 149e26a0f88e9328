import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A progress bar on standard error for long replays; silent when standard error is not
/// a terminal or the work is short.
final class ProgressBar: Sendable {
    private let total: Int
    private let enabled: Bool
    private let shown = Mutex((percent: -1, visible: false))

    init(total: Int) {
        self.total = total
        enabled = total >= 1_000 && isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let percent = done * 100 / max(total, 1)
        let changed = shown.withLock { state in
            guard state.percent != percent else { return false }
            state = (percent, true)
            return true
        }
        guard changed else { return }
        let filled = percent / 5
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  \(done)/\(total) frames".utf8))
    }

    /// Removes the bar so a line can be printed in its place.
    func clear() {
        guard enabled, shown.withLock({ $0.visible }) else { return }
        shown.withLock {
            $0.visible = false
            $0.percent = -1
        }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
