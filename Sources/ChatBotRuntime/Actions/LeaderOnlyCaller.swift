import ChatBotKit
import Foundation

/// The bots' outside calls, made only while this runtime leads: a leader that lost its
/// lease (paused past it, cut off) must not reach outside services any more than it
/// delivers actions. A call refused here is answered to its bot as failed, and that
/// answer, like everything of a lost term, is never committed.
struct LeaderOnlyCaller: OutsideCaller {
    /// Why a call was not made.
    struct NotLeading: Error, CustomStringConvertible {
        var description: String { "not made: this runtime no longer leads" }
    }

    let base: any OutsideCaller
    let mayCall: @Sendable () -> Bool

    func call(_ request: OutsideRequest) async throws -> (status: Int, body: Data) {
        guard mayCall() else { throw NotLeading() }
        return try await base.call(request)
    }
}
