import ChatBotKit
import Foundation
import Testing

/// Settings as a user writes them with `@Configurable`: defaults once, on the properties.
@Configurable
struct ReplySettings: Sendable, Equatable {
    var text: String
    var followUpAfter: ConfigDuration = .minutes(10)
    var channels: [String] = ["web"]
    var signature: String?
    var retries: Int? = 3
    var webhookURL: URL?
    let version = 1
}

/// A user's settings with rules across properties.
@Configurable
struct WindowSettings: Sendable, ValidatedConfiguration {
    var from: Int
    var to: Int = 24

    func validate() throws {
        guard from < to else { throw ConfigurationInvalid("to", "must be after from (\(from)), got \(to)") }
    }
}

/// A user's settings with a default that depends on another setting, a choice, ids a
/// person may write as numbers, and a property the file never sets.
@Configurable
struct EscalationSettings: Sendable, Equatable {
    enum Channel: String, Sendable, Decodable, CaseIterable {
        case email, pager
    }

    var channel: Channel
    @DefaultFrom("channel == .pager ? 60 : 600") var repeatSeconds: Int
    var ownerID: String = "nobody"
    var watchers: [String] = []
    @NotConfigured var seenAt: [String: Int] = [:]
}

/// Plain synthesized `Decodable`, nested, with no line about strictness.
struct Plain: Decodable {
    struct Rule: Decodable {
        var match: String
        var tags: [String: [String]]
    }

    var name: String
    var rules: [Rule]
    var limit: Int?
}

@Suite("Strict decoding of settings")
struct StrictDecodingTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try StrictDecoding.decode(type, fromJSON: Data(json.utf8))
    }

    func unknownKey(_ error: any Error) -> (path: String, message: String)? {
        guard case DecodingError.dataCorrupted(let context) = error else { return nil }
        return (context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined(), context.debugDescription)
    }

    @Test func aConfigurableStructKeepsItsDefaultsForAbsentKeys() throws {
        let settings = try decode(ReplySettings.self, #"{"text": "Hi"}"#)
        #expect(settings == ReplySettings(text: "Hi"))
        #expect(settings.followUpAfter.duration == .seconds(600))
        #expect(settings.channels == ["web"] && settings.signature == nil && settings.retries == 3 && settings.version == 1)
    }

    @Test func keysAreTheSnakeCaseOfThePropertiesAndOverrideTheDefaults() throws {
        let settings = try decode(
            ReplySettings.self,
            #"{"text": "Hi", "follow_up_after": "15m", "channels": [], "signature": "Desk", "retries": null, "webhook_url": "http://h/x"}"#
        )
        #expect(settings.followUpAfter.duration == .seconds(900))
        #expect(settings.channels.isEmpty && settings.signature == "Desk" && settings.webhookURL == URL(string: "http://h/x"))
        #expect(settings.retries == 3, "a null optional keeps its default")
    }

    @Test func theMemberwiseInitializerHasTheSameDefaults() {
        let settings = ReplySettings(text: "Hi", retries: nil)
        #expect(settings.channels == ["web"] && settings.followUpAfter.duration == .seconds(600) && settings.retries == nil)
    }

    @Test func aRequiredKeyIsRequired() throws {
        let error = try #require(throws: DecodingError.self) { try decode(ReplySettings.self, #"{"channels": ["web"]}"#) }
        guard case .keyNotFound(let key, _) = error else {
            Issue.record("expected keyNotFound, got \(error)")
            return
        }
        #expect(key.stringValue == "text")
    }

    @Test func aMisspeltRequiredKeyIsNamedAsUnknownWithTheNearestKnownOne() throws {
        let error = try #require(throws: DecodingError.self) { try decode(ReplySettings.self, #"{"txet": "Hi"}"#) }
        let found = try #require(unknownKey(error))
        #expect(found.path == ".txet")
        #expect(found.message == #"unknown key "txet" (did you mean "text"?)"#)
    }

    @Test func aMisspeltOptionalKeyIsAnErrorNotIgnored() throws {
        let error = try #require(throws: DecodingError.self) { try decode(ReplySettings.self, #"{"text": "Hi", "follow_up_afer": "1m"}"#) }
        let found = try #require(unknownKey(error))
        #expect(found.message.contains(#"unknown key "follow_up_afer" (did you mean "follow_up_after"?)"#))
        #expect(found.message.contains("known keys: channels, follow_up_after, retries, signature, text, webhook_url"))
    }

    @Test func aConstantIsNotASetting() throws {
        let error = try #require(throws: DecodingError.self) { try decode(ReplySettings.self, #"{"text": "Hi", "version": 2}"#) }
        #expect(unknownKey(error)?.path == ".version")
    }

    @Test func plainDecodableTypesAreStrictAtEveryDepth() throws {
        let good = #"{"name": "n", "rules": [{"match": "a", "tags": {"refund": ["r"]}}]}"#
        let plain = try decode(Plain.self, good)
        #expect(plain.rules.first?.tags == ["refund": ["r"]], "a dictionary's keys are its data, never unknown")
        let nested = try #require(throws: DecodingError.self) {
            try decode(Plain.self, #"{"name": "n", "rules": [{"match": "a", "tags": {}}, {"match": "b", "tags": {}, "mach": 1}]}"#)
        }
        #expect(unknownKey(nested)?.path == ".rules[1].mach")
        let top = try #require(throws: DecodingError.self) { try decode(Plain.self, #"{"name": "n", "rules": [], "limt": 3}"#) }
        #expect(unknownKey(top)?.message.contains(#"did you mean "limit""#) == true)
    }

    @Test func validationProblemsArePutAtTheirKey() throws {
        #expect(try decode(WindowSettings.self, #"{"from": 9}"#).to == 24)
        let error = try #require(throws: DecodingError.self) { try decode([String: WindowSettings].self, #"{"desk": {"from": 9, "to": 8}}"#) }
        let found = try #require(unknownKey(error))
        #expect(found.path == ".desk.to")
        #expect(found.message == "must be after from (9), got 8")
    }

    @Test func aDefaultFromOtherSettingsIsUsedOnlyWhenItsKeyIsAbsent() throws {
        #expect(try decode(EscalationSettings.self, #"{"channel": "pager"}"#).repeatSeconds == 60)
        #expect(try decode(EscalationSettings.self, #"{"channel": "email"}"#).repeatSeconds == 600)
        #expect(try decode(EscalationSettings.self, #"{"channel": "pager", "repeat_seconds": 5}"#).repeatSeconds == 5)
        // The memberwise initializer derives it the same way.
        #expect(EscalationSettings(channel: .pager).repeatSeconds == 60)
        #expect(EscalationSettings(channel: .pager, repeatSeconds: 7).repeatSeconds == 7)
    }

    @Test func idsWrittenAsNumbersReadAsTheirDigits() throws {
        let settings = try decode(EscalationSettings.self, #"{"channel": "email", "owner_id": 1000, "watchers": [7, "lead-9"]}"#)
        #expect(settings.ownerID == "1000" && settings.watchers == ["7", "lead-9"])
        #expect(throws: DecodingError.self) { try decode(EscalationSettings.self, #"{"channel": "email", "owner_id": 1.5}"#) }
    }

    @Test func aChoiceThatIsNoneOfItsCasesIsRefusedWithTheCases() throws {
        do {
            _ = try decode(EscalationSettings.self, #"{"channel": "sms"}"#)
            Issue.record("an unknown channel was accepted")
        } catch {
            let refused = try #require(unknownKey(error))
            #expect(refused.path == ".channel")
            #expect(refused.message == #""sms" is not one of: email, pager"#)
        }
    }

    @Test func aPropertyTheFileNeverSetsIsAnUnknownKeyThere() throws {
        #expect(try decode(EscalationSettings.self, #"{"channel": "email"}"#).seenAt.isEmpty)
        do {
            _ = try decode(EscalationSettings.self, #"{"channel": "email", "seen_at": {"x": 1}}"#)
            Issue.record("a key for a @NotConfigured property was accepted")
        } catch {
            #expect(try #require(unknownKey(error)).path == ".seen_at")
        }
    }
}
