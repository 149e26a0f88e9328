import ChatBotKit
import Testing

@Suite struct BotActionKindTests {
    /// `chatbots_actions_total` has a series for each listed kind only: an action whose
    /// kind is not listed would go uncounted.
    @Test func everyKindOfActionIsListed() {
        let oneOfEach: [BotAction] = [
            .sendMessage(chatID: "1", text: "hello"),
            .assignCurator(chatID: "1", curatorID: "curator-1"),
            .changeStatus(chatID: "1", status: "closed"),
            .markRead(chatID: "1", lastMessageID: "7"),
            .alert(Alert(text: "waiting")),
        ]
        #expect(oneOfEach.map(\.kind) == BotAction.kinds)
    }
}
