import ArgumentParser
import ChatBotKit
import ChatBotRuntime
import Foundation
import Logging

/// `chatbots state`: what the store holds, read safely while `run` is running.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Show what the bots know and did: a summary, one chat, or the dead letters.",
        discussion: """
            Reads the store named by the config (or --store) beside a running runtime.
              chatbots state                       # chats, curators, queue, timers, outbox
              chatbots state chat 42               # everything known and decided about chat 42
              chatbots state dead-letters --requeue 7 --requeue 9
            """,
        subcommands: [StateSummaryCommand.self, StateChatCommand.self, StateDeadLettersCommand.self],
        defaultSubcommand: StateSummaryCommand.self
    )
}

/// Where the store is and how to print: shared by the `state` commands.
struct StoreOptions: ParsableArguments {
    @Option(help: "The configuration file, for store.path and engine.closed_statuses.")
    var config = "Config/chatbots.yaml"

    @Option(help: "The SQLite file, instead of the one the config names.")
    var store: String?

    @Flag(help: "Print JSON, for scripts.")
    var json = false

    /// The store, and the statuses that close a chat: the SQLite file `--store` names,
    /// or the store the config names (a file, or a PostgreSQL database whose password
    /// comes from the environment). Never creates one.
    func open() async throws -> (any RuntimeStore, Set<ChatStatus>) {
        let defaults: Set<ChatStatus> = [.closed, .resolved, .archived]
        do {
            if let store {
                let statuses = (try? ConfigLoader.loadLeavingOutUnset(path: config).configuration).map {
                    Set($0.engine.closedStatuses.map(ChatStatus.init(wireValue:)))
                }
                return (try SQLiteStore.existing(at: store), statuses ?? defaults)
            }
            // It reads the store only: the bots' secrets may be unset.
            let loaded = try ConfigLoader.loadLeavingOutUnset(path: config).configuration
            let statuses = Set(loaded.engine.closedStatuses.map(ChatStatus.init(wireValue:)))
            guard let postgres = loaded.store.postgres else {
                return (try SQLiteStore.existing(at: loaded.store.path), statuses)
            }
            let password = ProcessInfo.processInfo.environment[postgres.passwordEnv].flatMap { $0.isEmpty ? nil : $0 }
            var logger = Logger(label: "chatbots.state")
            logger.logLevel = .warning
            return (try await PostgresStore.open(postgres, password: password, logger: logger, existingOnly: true), statuses)
        } catch let error as ConfigError {
            throw fileProblem("\(error) (or name the file with --store)")
        } catch let error as StoreError {
            throw fileProblem(error)
        } catch let error as PostgresStoreError {
            throw fileProblem(error)
        }
    }

    /// Pretty, sorted JSON with ISO 8601 dates.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

struct StateSummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Chats by status, curators online, the queue, timers and the outbox."
    )

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let (store, closed) = try await options.open()
        let summary = try await store.summary(closedStatuses: closed)
        await store.close()
        print(options.json ? try StoreOptions.json(summary) : StateText.summary(summary, store: store.location))
    }
}

struct StateChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chat", abstract: "Everything known and decided about one chat.")

    @Argument(help: "The chat's id.")
    var id: String

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let (store, _) = try await options.open()
        let inspection = try await store.inspect(chat: ChatID(id))
        await store.close()
        guard let inspection else {
            throw fileProblem("the store at \(store.location) has never seen chat \(id)")
        }
        print(options.json ? try StoreOptions.json(inspection) : StateText.chat(inspection))
    }
}

struct StateDeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters", abstract: "List the actions the backend refused for good, or put them back in the outbox."
    )

    @Option(name: .customLong("requeue"), help: "Put this dead letter back in the outbox (repeatable).")
    var requeue: [Int64] = []

    @Flag(help: "Put every dead letter back in the outbox.")
    var requeueAll = false

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let (store, _) = try await options.open()
        if requeueAll || !requeue.isEmpty {
            let done = try await store.requeueDeadLetters(requeueAll ? nil : requeue)
            await store.close()
            let missing = Set(requeue).subtracting(done).sorted()
            print(
                "re-queued \(done.count): \(done.map(String.init).joined(separator: ", "))"
                    + (missing.isEmpty ? "" : "; not dead letters: \(missing.map(String.init).joined(separator: ", "))")
            )
            return
        }
        let letters = try await store.deadLetterList()
        await store.close()
        print(options.json ? try StoreOptions.json(letters) : StateText.deadLetters(letters))
    }
}
