import ChatBotKit
import ChatBotTesting
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

@testable import ChatBotRuntime

/// The real PostgreSQL server the tests use, as `Scripts/postgres_throwaway.sh` (which
/// `.ci/run` calls) describes it in the environment:
///
///     CHATBOTS_TEST_POSTGRES_URL       postgres://chatbots@127.0.0.1:54329/chatbots
///     CHATBOTS_TEST_PGBOUNCER_URL      the same database through pgbouncer, transaction mode
///     CHATBOTS_TEST_POSTGRES_PASSWORD  the role's password
///
/// Without it, the PostgreSQL tests are skipped on a developer's machine; with
/// `CI=true` they run and fail, so CI never passes without them.
enum TestPostgres {
    static let environment = ProcessInfo.processInfo.environment

    /// Whether the PostgreSQL tests run: a server is configured, or CI requires one.
    static var isEnabled: Bool {
        environment["CHATBOTS_TEST_POSTGRES_URL"] != nil || environment["CI"] == "true"
    }

    static var password: String? { environment["CHATBOTS_TEST_POSTGRES_PASSWORD"] }

    struct NotConfigured: Error, CustomStringConvertible {
        var variable: String
        var description: String {
            "\(variable) is not set: start a throwaway server with `eval \"$(Scripts/postgres_throwaway.sh)\"` (CI=true requires one)"
        }
    }

    /// A section for a new schema of its own (`t_` and a random name), directly or
    /// through pgbouncer.
    static func section(throughPooler: Bool = false, schema: String = newSchemaName()) throws -> PostgresSection {
        let variable = throughPooler ? "CHATBOTS_TEST_PGBOUNCER_URL" : "CHATBOTS_TEST_POSTGRES_URL"
        guard let url = environment[variable] else { throw NotConfigured(variable: variable) }
        // Forty-odd tests open stores at once against one server on two cores, each
        // connection a process and a SCRAM exchange: a small pool and a patient connect
        // keep that storm from reading as "no answer in time" (seen in CI, twice).
        return PostgresSection(url: try PostgresAddress(parsing: url), schema: schema, tls: .disable, connectTimeout: 30, maxConnections: 4)
    }

    static func newSchemaName() -> String {
        "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// The YAML of a `store:` section on `schema`; its password comes from the same
    /// variable the tests read.
    static func storeYAML(schema: String) throws -> String {
        let section = try section(schema: schema)
        return """
            store:
              postgres:
                url: \(section.url)
                password_env: CHATBOTS_TEST_POSTGRES_PASSWORD
                schema: \(schema)
                tls: disable
                connect_timeout: \(section.connectTimeout.seconds)s
                max_connections: \(section.maxConnections)

            """
    }

    /// Drops a test's schema with everything in it.
    static func dropSchema(_ name: String) async throws {
        let store = try await PostgresStore.open(try section(schema: name), password: password, logger: quietLogger)
        try await store.dropSchema()
        await store.close()
    }
}

/// Which store a test runs on: each contract test runs on every one.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    /// PostgreSQL through pgbouncer in transaction mode: nothing of a session survives
    /// from one transaction to the next.
    case pgbouncer

    /// SQLite always; PostgreSQL, directly and through pgbouncer, when a server is
    /// configured or CI requires one.
    static var available: [StoreKind] {
        TestPostgres.isEnabled ? [.sqlite, .postgres, .pgbouncer] : [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// One store that a test opens as often as it likes (a restart opens it again): a file
/// in a temporary folder, or a schema of its own; all of it removed afterwards.
final class StoreSite: Sendable {
    let kind: StoreKind
    /// The file, or the schema.
    let name: String
    private let opened = Mutex<[any RuntimeStore]>([])

    private init(kind: StoreKind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// Opens the store (again).
    func open(now: @escaping @Sendable () -> Date = { Date() }) async throws -> any RuntimeStore {
        let store: any RuntimeStore =
            switch kind {
            case .sqlite: try SQLiteStore(path: name, now: now)
            case .postgres, .pgbouncer:
                try await PostgresStore.open(
                    try TestPostgres.section(throughPooler: kind == .pgbouncer, schema: name), password: TestPostgres.password, logger: quietLogger,
                    now: now
                )
            }
        opened.withLock { $0.append(store) }
        return store
    }

    static func with<T>(_ kind: StoreKind, _ body: (StoreSite) async throws -> T) async throws -> T {
        switch kind {
        case .sqlite:
            return try await withTemporaryFolder { folder in
                // Nothing to close: a SQLite store lets go of its file when it goes.
                try await body(StoreSite(kind: kind, name: folder.appendingPathComponent("chatbots.sqlite").path))
            }
        case .postgres, .pgbouncer:
            let site = StoreSite(kind: kind, name: TestPostgres.newSchemaName())
            let result: T
            do {
                result = try await body(site)
            } catch {
                await site.closeAllAndDrop()
                throw error
            }
            await site.closeAllAndDrop()
            return result
        }
    }

    private func closeAllAndDrop() async {
        for store in opened.withLock({ $0 }) { await store.close() }
        try? await TestPostgres.dropSchema(name)
    }
}
