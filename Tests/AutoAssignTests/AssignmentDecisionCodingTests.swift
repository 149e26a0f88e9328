import AutoAssign
import ChatBotKit
import ChatBotTesting
import Foundation
import Testing

/// How a decision is kept: the best candidates and a few curators per exclusion reason,
/// the rest counted, each reason's together, in few bytes.
@Suite struct AssignmentDecisionCodingTests {
    @Test func aStoredDecisionKeepsEachReasonsFirstCuratorsTogetherAndCountsTheRest() async throws {
        let roster = (1...40).map { UserID("curator-\($0)") }
        let harness = BotHarness(
            bots: [AutoAssignBot(settings: AutoAssignSettings(strategy: .leastLoaded))],
            configuration: EngineConfiguration(serviceAccountID: "1000", curatorRoster: roster)
        )
        try await harness.run { harness in
            try await harness.send([.online("curator-7"), .offline("curator-3"), .offline("curator-30")])
            try await harness.send(.chatOpened("1", by: "client-1"))
        }
        let decision = try #require(try harness.decisions("1").last)
        #expect(decision.picked == "curator-7")
        // Reasons in the order they first apply (curator-1 is not known yet), each
        // reason's first curators together, the rest counted.
        #expect(decision.excluded.count == 7)
        #expect(decision.excluded.prefix(5).map(\.curator) == ["curator-1", "curator-10", "curator-11", "curator-12", "curator-13"])
        #expect(Set(decision.excluded.prefix(5).map(\.reason)) == ["presence not known yet"])
        #expect(decision.excluded.suffix(2) == [.init(curator: "curator-3", reason: "offline"), .init(curator: "curator-30", reason: "offline")])
        #expect(decision.excludedLeftOut == ["presence not known yet": 32])
        #expect(
            decision.exclusionSummary.hasPrefix("presence not known yet: curator-1, curator-10, curator-11, curator-12, curator-13 and 32 more; "))

        let bytes = try #require(harness.store.state(AutoAssignBot.decisionsKey("1").stored(by: AutoAssignBot.type)))
        let stored = try JSONDecoder().decode(JSONValue.self, from: bytes)
        guard case .array(let decisions) = stored, case .object(let last)? = decisions.last,
            case .array(let groups)? = last["excludedBy"]
        else {
            Issue.record("expected decisions with excludedBy, got \(stored)")
            return
        }
        #expect(groups.count == 2, "one group per reason, not an object per curator")
        #expect(last["excluded"] == nil)
        guard case .object(let columns)? = last["candidateColumns"] else {
            Issue.record("expected the candidates as columns, got \(last)")
            return
        }
        #expect(columns["curator"] == .array([.string("curator-7")]))
        #expect(columns["openChats"] == .array([.integer(0)]))
        #expect(last["candidates"] == nil)
    }

    /// Of a large pool, the pick and the least loaded are kept, the rest counted.
    @Test func aKeptDecisionListsThePickAndTheBestCandidates() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let candidates = (1...40).map {
            AssignmentDecision.Candidate(curator: UserID("c\($0)"), openChats: 40 - $0, capacity: 50, lastAssignedAt: now)
        }
        let full = AssignmentDecision(
            chatID: "1", decidedAt: now, trigger: "new_chat", strategy: "round_robin", candidates: candidates, excluded: [], picked: "c3"
        )
        let kept = full.kept()
        #expect(kept.candidates.map(\.curator) == ["c3", "c40", "c39", "c38", "c37"])
        #expect(kept.candidatesLeftOut == 35)
        #expect(kept.summary.contains("and 35 more"))
    }

    @Test func aDecisionReadsBackExactlyEvenWithReasonsInterleaved() throws {
        // Written the old way, an object per curator, with the reasons interleaved.
        let old = Data(
            #"""
            {"chatID":"9","decidedAt":817699548.5,"trigger":"curator_offline","strategy":"round_robin",
            "candidates":[{"curator":"b","openChats":2,"capacity":5,"lastAssignedAt":817699000}],
            "excluded":[{"curator":"a","reason":"offline"},{"curator":"c","reason":"at capacity (5/5)"},{"curator":"d","reason":"offline"}],
            "tieBreak":"round robin: next after a","picked":"b"}
            """#.utf8)
        let decision = try JSONDecoder().decode(AssignmentDecision.self, from: old)
        let rewritten = try JSONEncoder().encode(decision)
        #expect(!String(decoding: rewritten, as: UTF8.self).contains(#""excluded""#))
        let read = try JSONDecoder().decode(AssignmentDecision.self, from: rewritten)
        #expect(read == decision)
        #expect(read.excluded.map(\.curator) == ["a", "c", "d"])
        #expect(read.candidates.first?.lastAssignedAt == Date(timeIntervalSinceReferenceDate: 817_699_000))
        #expect(read.exclusionSummary == "offline: a, d; at capacity (5/5): c")
    }

    @Test func aDecisionStoredBeforeExclusionsWereGroupedStillReads() throws {
        let old = Data(
            #"""
            {"decidedAt":817699548.6305373,"excluded":[{"reason":"presence not known yet","curator":"curator-1"},
            {"reason":"offline","curator":"curator-2"}],"picked":"curator-4",
            "candidates":[{"openChats":0,"capacity":1000,"curator":"curator-4"}],"trigger":"curator_online",
            "strategy":"least_loaded","tieBreak":"least loaded (0 open)","chatID":"1"}
            """#.utf8)
        let decision = try JSONDecoder().decode(AssignmentDecision.self, from: old)
        #expect(decision.excluded == [.init(curator: "curator-1", reason: "presence not known yet"), .init(curator: "curator-2", reason: "offline")])
        #expect(
            decision.summary == "assigned to curator-4 (curator_online, least_loaded, least loaded (0 open)); "
                + "candidates: curator-4 0/1000; excluded: presence not known yet: curator-1; offline: curator-2")
    }

    @Test func candidateColumnsOfDifferentLengthsAreRefusedWithTheReason() throws {
        let damaged = Data(
            #"""
            {"chatID":"9","decidedAt":817699548.5,"trigger":"new_chat","strategy":"least_loaded",
            "candidateColumns":{"curator":["a","b"],"openChats":[1],"capacity":[5,5],"lastAssignedAt":[null,null]},"excludedBy":[]}
            """#.utf8)
        #expect {
            try JSONDecoder().decode(AssignmentDecision.self, from: damaged)
        } throws: { error in
            "\(error)".contains("the candidates' columns differ in length")
        }
    }
}
