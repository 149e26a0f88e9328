import ChatBotKit
import Foundation

/// A decision as it is kept and logged: a pool of four hundred curators must not put
/// four hundred candidates in every chat's record and every log line. The pick and the
/// best few candidates are kept, and a few curators per exclusion reason, with counts
/// of the rest: enough to answer "why this curator?" and "why not that one?".
extension AssignmentDecision {
    /// How many candidates, and how many curators per exclusion reason, are kept.
    public static let keptPerList = 5

    /// This decision with its lists cut to ``keptPerList``: the picked curator and the
    /// best candidates (least loaded, then longest waiting), and the first curators of
    /// each exclusion reason; the rest are counted.
    public func kept() -> AssignmentDecision {
        var kept = self
        if candidates.count > Self.keptPerList {
            let best = candidates.sorted { a, b in
                if (a.curator == picked) != (b.curator == picked) { return a.curator == picked }
                if a.openChats != b.openChats { return a.openChats < b.openChats }
                return (a.lastAssignedAt ?? .distantPast, a.curator) < (b.lastAssignedAt ?? .distantPast, b.curator)
            }
            kept.candidates = Array(best.prefix(Self.keptPerList))
            kept.candidatesLeftOut += candidates.count - Self.keptPerList
        }
        var perReason: [String: Int] = [:]
        kept.excluded = excluded.filter { exclusion in
            perReason[exclusion.reason, default: 0] += 1
            return perReason[exclusion.reason, default: 0] <= Self.keptPerList
        }
        for (reason, count) in perReason where count > Self.keptPerList {
            kept.excludedLeftOut[reason, default: 0] += count - Self.keptPerList
        }
        return kept
    }
}
