import ChatBotKit
import Testing

@Suite struct IdentifierTests {
    @Test(arguments: [
        ("42", 42), ("0", 0), ("-7", -7), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ] as [(String, Int64)])
    func aPlainDecimalIsAnInteger(text: String, value: Int64) {
        #expect(ChatID(text).integerValue == value)
    }

    @Test(arguments: ["007", "-0", "+5", "", "-", "4a", "1.0", " 1", "9223372036854775808", "curator-1", "١٢"])
    func anythingElseIsNot(text: String) {
        #expect(ChatID(text).integerValue == nil)
    }

    @Test func integersSortByValueAndTheRestByText() {
        #expect((["100", "9", "-3", "10"] as [ChatID]).sorted() == ["-3", "9", "10", "100"])
        #expect((["curator-2", "curator-10", "curator-1"] as [UserID]).sorted() == ["curator-1", "curator-10", "curator-2"])
        #expect(ChatID("9") < ChatID("10"))
        #expect(ChatID("007") < ChatID("7"), "not both integers: by text")
        #expect(!(ChatID("10") < ChatID("9")))
    }
}
