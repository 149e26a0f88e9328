import ChatBotKit
import Testing

@Suite struct IdentifierTests {
    @Test(
        arguments: [
            ("42", 42), ("0", 0), ("-7", -7), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
        ] as [(String, Int64)])
    func aPlainDecimalIsAnInteger(text: String, value: Int64) {
        #expect(ChatID(text).integerValue == value)
    }

    @Test(arguments: ["007", "-0", "+5", "", "-", "4a", "1.0", " 1", "9223372036854775808", "curator-1", "١٢"])
    func anythingElseIsNot(text: String) {
        #expect(ChatID(text).integerValue == nil)
    }

    @Test func integersSortFirstByValueThenTheRestByText() {
        #expect((["100", "9", "-3", "10"] as [ChatID]).sorted() == ["-3", "9", "10", "100"])
        #expect((["curator-2", "curator-10", "curator-1"] as [UserID]).sorted() == ["curator-1", "curator-10", "curator-2"])
        #expect((["1a", "10", "2", "007", "b"] as [ChatID]).sorted() == ["2", "10", "007", "1a", "b"])
        #expect(ChatID("9") < ChatID("10"))
        #expect(ChatID("7") < ChatID("007"), "an integer before any other id")
        #expect(!(ChatID("10") < ChatID("9")))
    }

    /// "2" < "10" < "1a" < "2" by the old rule (numbers when both were, text when not):
    /// a circle, under which a sorted list could not be searched.
    @Test func theOrderIsTotalOnIdsThatUsedToGoRoundInACircle() {
        let ids: [ChatID] = ["2", "10", "1a", "1b", "007", "7", "-1", "x"]
        for a in ids {
            #expect(!(a < a))
            for b in ids where a != b {
                #expect((a < b) != (b < a), "\(a) and \(b)")
                for c in ids where a < b && b < c {
                    #expect(a < c, "\(a) < \(b) < \(c)")
                }
            }
        }
    }
}
