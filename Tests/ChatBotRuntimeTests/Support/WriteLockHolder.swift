import Foundation

/// A second process that holds a SQLite file's write lock until released: another program
/// on the same store, as an operator's `sqlite3` session or a backup tool would be.
///
/// The process is python3 (part of this machine's toolset) with its `sqlite3` module; it
/// takes the lock with `BEGIN IMMEDIATE`, says so, and rolls back when told.
final class WriteLockHolder {
    private static let script = """
        import sqlite3, sys
        db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
        db.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        sys.stdin.readline()
        db.execute("ROLLBACK")
        print("released", flush=True)
        """

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    /// Starts the process and returns once it holds the lock.
    init(path: String) async throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let said = await Self.nextLine(from: output.fileHandleForReading)
        guard said == "locked" else {
            process.terminate()
            throw LockHolderError(description: "the lock-holding process said \(said.map { "\"\($0)\"" } ?? "nothing") instead of \"locked\"")
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Rolls back, and returns once the process has let the lock go.
    func release() async throws {
        try input.fileHandleForWriting.write(contentsOf: Data("\n".utf8))
        let said = await Self.nextLine(from: output.fileHandleForReading)
        guard said == "released" else {
            throw LockHolderError(description: "the lock-holding process said \(said.map { "\"\($0)\"" } ?? "nothing") instead of \"released\"")
        }
    }

    /// One line from a pipe, read on a thread of its own: the read blocks, and a blocked
    /// thread of Swift's cooperative pool could starve the runtime under test.
    private static func nextLine(from handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var line = Data()
                while true {
                    let byte = handle.readData(ofLength: 1)
                    if byte.isEmpty || byte == Data("\n".utf8) { break }
                    line.append(byte)
                }
                continuation.resume(returning: line.isEmpty ? nil : String(decoding: line, as: UTF8.self))
            }
        }
    }
}

struct LockHolderError: Error, CustomStringConvertible {
    let description: String
}
