import ChatBotKit
import Foundation
import Synchronization

/// Answers outside calls from a script, for tests: a closure from the request to the
/// status and body (or a thrown error, for a call that fails). It keeps every request
/// it was asked.
///
/// ```swift
/// let outside = ScriptedOutside { request in (200, Data(#"{"intent":"refund"}"#.utf8)) }
/// let harness = BotHarness(bots: [Classifier()], outside: outside)
/// ```
public final class ScriptedOutside: OutsideCaller {
    private let script: @Sendable (OutsideRequest) async throws -> (status: Int, body: Data)
    private let asked = Mutex<[OutsideRequest]>([])

    public init(_ script: @escaping @Sendable (OutsideRequest) async throws -> (status: Int, body: Data)) {
        self.script = script
    }

    public func call(_ request: OutsideRequest) async throws -> (status: Int, body: Data) {
        asked.withLock { $0.append(request) }
        return try await script(request)
    }

    /// The requests asked so far, in order.
    public var requests: [OutsideRequest] {
        asked.withLock { $0 }
    }
}
