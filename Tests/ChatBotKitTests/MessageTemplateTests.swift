import ChatBotKit
import Testing

@Suite struct MessageTemplateTests {
    let names: Set<String> = ["next_open", "time_zone"]

    @Test func placeholdersAreReplacedAndBracesEscaped() throws {
        let template = try MessageTemplate("Back {next_open} ({time_zone}); {{literal}} {next_open}", placeholders: names)
        #expect(
            template.render(["next_open": "Monday 09:00", "time_zone": "Europe/Berlin"])
                == "Back Monday 09:00 (Europe/Berlin); {literal} Monday 09:00")
        #expect(template.placeholders == ["next_open", "time_zone"])
    }

    @Test func valuesAreNeverParsedAgain() throws {
        let template = try MessageTemplate("Hi {next_open}", placeholders: names)
        #expect(template.render(["next_open": "{time_zone}}"]) == "Hi {time_zone}}")
        #expect(template.render([:]) == "Hi ")
    }

    @Test(arguments: [
        ("Back {next_opening}", "unknown placeholder {next_opening}"),
        ("Back {next_open", "character 6 is never closed"),
        ("Back } soon", "character 6 closes nothing"),
        ("{ next_open }", "unknown placeholder { next_open }"),
    ])
    func badTextsAreRefusedWithTheReason(text: String, reason: String) {
        #expect {
            try MessageTemplate(text, placeholders: names)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
