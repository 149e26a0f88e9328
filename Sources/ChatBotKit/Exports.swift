// A bot author imports one module: `BotContext.logger` is a swift-log `Logger`, so
// ChatBotKit re-exports Logging rather than make every bot depend on it by hand.
@_exported import Logging
