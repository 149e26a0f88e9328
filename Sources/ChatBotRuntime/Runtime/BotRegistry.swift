import ChatBotKit
import Foundation

/// Bot types by name, each with a factory that takes the bot's own config section:
/// built-in and user bots are configured the same way.
///
/// ```swift
/// var registry = BotRegistry()
/// registry.register("greeter") { options in
///     Greeter(name: options.name, settings: try options.decode(Greeter.Settings.self))
/// }
/// ```
public struct BotRegistry: Sendable {
    /// Makes a bot from its options. The bot's `name` must be `options.name`.
    public typealias Factory = @Sendable (BotOptions) throws -> any Bot

    private var factories: [String: Factory] = [:]

    public init() {}

    /// Registers a type; registering a name again replaces its factory.
    public mutating func register(_ type: String, _ factory: @escaping Factory) {
        factories[type] = factory
    }

    /// The registered type names.
    public var types: [String] {
        factories.keys.sorted()
    }

    /// Makes the configured bots, in order. Errors name the entry of `bots:`.
    public func makeBots(_ sections: [BotSection], file: String) throws -> [any Bot] {
        try sections.enumerated().map { index, section in
            guard let factory = factories[section.type] else {
                let known = types.isEmpty ? "none are registered" : "registered: \(types.joined(separator: ", "))"
                throw ConfigError(
                    file: file, keyPath: "bots[\(index)].type", line: section.lines["bots[\(index)].type"],
                    message: "unknown bot type \"\(section.type)\" (\(known))")
            }
            let bot: any Bot
            do {
                bot = try factory(BotOptions(name: section.name, raw: section.options))
            } catch let error as DecodingError {
                let (path, message) = ConfigLoader.describe(error)
                let keyPath = "bots[\(index)].options" + (path.isEmpty ? "" : path.hasPrefix("[") ? path : ".\(path)")
                throw ConfigError(file: file, keyPath: keyPath, line: ConfigLoader.nearestLine(for: keyPath, in: section.lines), message: message)
            } catch {
                let keyPath = "bots[\(index)].options"
                throw ConfigError(file: file, keyPath: keyPath, line: ConfigLoader.nearestLine(for: keyPath, in: section.lines), message: "\(error)")
            }
            guard bot.name == section.name else {
                throw ConfigError(
                    file: file, keyPath: "bots[\(index)]", line: nil,
                    message: "the \(section.type) factory named its bot \"\(bot.name)\", not \"\(section.name)\"")
            }
            guard section.expiresAfter != .botDefault else { return bot }
            return ExpiryConfiguredBot(bot, actionExpiry: section.expiresAfter.applied(to: bot.actionExpiry))
        }
    }
}

/// One bot's config section, handed to its factory.
public struct BotOptions: Sendable {
    /// The bot's name: it must use it, since it keys the bot's state.
    public let name: String
    /// The `options:` mapping as given.
    public let raw: JSONValue

    public init(name: String, raw: JSONValue) {
        self.name = name
        self.raw = raw
    }

    /// The options decoded as the bot's own settings type, strictly: a key the type
    /// does not read is an error (``StrictDecoding``).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try StrictDecoding.decode(T.self, fromJSON: JSONEncoder().encode(raw))
    }
}

/// A bot whose actions' expiry its configuration set (`expires_after`): the bot
/// itself, with that expiry in place of its own.
struct ExpiryConfiguredBot: Bot {
    let base: any Bot
    let actionExpiry: Duration?

    init(_ base: any Bot, actionExpiry: Duration?) {
        self.base = base
        self.actionExpiry = actionExpiry
    }

    var name: String {
        base.name
    }

    func handle(_ event: ChatEvent, in context: BotContext) throws {
        try base.handle(event, in: context)
    }

    func timerFired(_ timer: FiredTimer, in context: BotContext) throws {
        try base.timerFired(timer, in: context)
    }

    func answerArrived(_ answer: OutsideAnswer, in context: BotContext) throws {
        try base.answerArrived(answer, in: context)
    }
}
