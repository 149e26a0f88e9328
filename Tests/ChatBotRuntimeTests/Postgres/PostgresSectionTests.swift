import ChatBotKit
import ChatBotRuntime
import Foundation
import Testing

private let minimal = """
    server:
      url: ws://127.0.0.1:8080
    auth:
      static_token_env: TOKEN
    service_account_id: 1000

    """

private func configError(_ text: String) -> ConfigError? {
    do {
        _ = try ConfigLoader.parse(minimal + text, file: "chatbots.yaml", environment: [:])
        return nil
    } catch {
        return error as? ConfigError
    }
}

@Suite("store.postgres in the configuration file")
struct PostgresSectionTests {
    @Test func aURLAndDefaultsMakeTheSection() throws {
        let configuration = try ConfigLoader.parse(
            minimal + """
                store:
                  postgres:
                    url: postgres://desk@db.internal/support
                """, file: "chatbots.yaml", environment: [:])
        let section = try #require(configuration.store.postgres)
        #expect(section == PostgresSection(url: PostgresAddress(host: "db.internal", port: 5432, username: "desk", database: "support")))
        #expect(section.passwordEnv == "CHATBOTS_POSTGRES_PASSWORD")
        #expect(section.schema == "chatbots")
        #expect(section.tls == .prefer)
        #expect(configuration.store.location == "postgres://desk@db.internal:5432/support (schema chatbots)")
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try ConfigLoader.parse(
            minimal + """
                store:
                  postgres:
                    url: postgresql://desk@10.0.0.5:6432/support
                    password_env: DESK_DB_PASSWORD
                    schema: desk_2
                    tls: require
                    connect_timeout: 30s
                    max_connections: 4
                """, file: "chatbots.yaml", environment: [:])
        #expect(
            configuration.store.postgres
                == PostgresSection(
                    url: PostgresAddress(host: "10.0.0.5", port: 6432, username: "desk", database: "support"), passwordEnv: "DESK_DB_PASSWORD",
                    schema: "desk_2", tls: .require, connectTimeout: 30, maxConnections: 4
                ))
    }

    @Test(arguments: [
        ("url: postgres://desk:hunter2@db/support", "store.postgres.url", "must not hold a password"),
        ("url: mysql://desk@db/support", "store.postgres.url", "expected postgres://"),
        ("url: postgres://db/support", "store.postgres.url", "names no user"),
        ("url: postgres://desk@db", "store.postgres.url", "names no database"),
        ("url: postgres://desk@db/support?sslmode=require", "store.postgres.url", "takes no query parameters"),
        ("url: postgres://desk@db/support\n    schema: Desk-1", "store.postgres.schema", "lower-case letters"),
        ("url: postgres://desk@db/support\n    tls: always", "store.postgres.tls", "always"),
        ("url: postgres://desk@db/support\n    max_connections: 1", "store.postgres.max_connections", "at least 2"),
        ("url: postgres://desk@db/support\n    pasword_env: X", "store.postgres.pasword_env", "unknown key"),
    ])
    func aWrongValueIsNamedWithItsKey(line: String, keyPath: String, message: String) throws {
        let error = try #require(configError("store:\n  postgres:\n    \(line)\n"))
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(!"\(error)".contains("hunter2"), "a password is never repeated back")
    }

    @Test func aFileAndADatabaseTogetherAreRefused() throws {
        let error = try #require(configError("store:\n  path: ./desk.sqlite\n  postgres:\n    url: postgres://desk@db/support\n"))
        #expect(error.message.contains("either path"))
    }
}
