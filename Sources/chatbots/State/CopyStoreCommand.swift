import ArgumentParser
import ChatBotRuntime
import Foundation
import Logging

/// `chatbots copy-store`: moves a desk from its SQLite file onto PostgreSQL.
struct CopyStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-store",
        abstract: "Copy a SQLite store into the empty PostgreSQL store the config names.",
        discussion: """
            Stop the runtime first. Everything is copied in one transaction: the chats, the bots'
            state, the timers and the outbox with its idempotency keys, so nothing is forgotten
            and nothing is sent twice. The PostgreSQL schema must be empty (it is made if missing);
            its password comes from the variable store.postgres.password_env names.
              chatbots copy-store --from ./chatbots.sqlite --config Config/postgres.yaml
            """
    )

    @Option(help: "The SQLite store to copy.")
    var from: String

    @Option(help: "The configuration file whose store.postgres receives the copy.")
    var config = "Config/chatbots.yaml"

    func run() async throws {
        let section: PostgresSection
        let source: SQLiteStore
        do {
            guard let postgres = try ConfigLoader.load(path: config).store.postgres else {
                throw fileProblem("\(config) names no store.postgres to copy into")
            }
            section = postgres
            source = try SQLiteStore.existing(at: from)
        } catch let error as ConfigError {
            throw fileProblem(error)
        } catch let error as StoreError {
            throw fileProblem(error)
        }
        var logger = Logger(label: "chatbots.copy-store")
        logger.logLevel = .warning
        let password = ProcessInfo.processInfo.environment[section.passwordEnv].flatMap { $0.isEmpty ? nil : $0 }
        let destination: PostgresStore
        do {
            destination = try await PostgresStore.open(section, password: password, logger: logger)
        } catch let error as PostgresStoreError {
            throw fileProblem(error)
        }
        do {
            let report = try await StoreCopy.copy(from: source, to: destination)
            await destination.close()
            print("copied \(report) from \(source.location) to \(destination.location)")
        } catch let refusal as StoreCopy.Refusal {
            await destination.close()
            throw fileProblem(refusal)
        } catch {
            await destination.close()
            throw error
        }
    }
}
