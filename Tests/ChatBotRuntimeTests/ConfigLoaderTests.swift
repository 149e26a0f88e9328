import ChatBotKit
import ChatBotRuntime
import Foundation
import Testing

private let minimal = """
    server:
      url: ws://127.0.0.1:8080
    auth:
      keycloak:
        token_url: http://127.0.0.1:8080/realms/support/protocol/openid-connect/token
        client_id: chatbots
        client_secret: ${SECRET}
    service_account_id: 1000
    """

private func load(_ text: String, environment: [String: String] = ["SECRET": "s3cret"]) throws -> RuntimeConfiguration {
    try ConfigLoader.parse(text, file: "chatbots.yaml", environment: environment)
}

private func configError(_ text: String, environment: [String: String] = ["SECRET": "s3cret"]) -> ConfigError? {
    do {
        _ = try load(text, environment: environment)
        return nil
    } catch {
        return error as? ConfigError
    }
}

@Suite("The configuration file", .timeLimit(.minutes(2)))
struct ConfigLoaderTests {
    @Test func theExampleFileInTheRepositoryIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/chatbots.yaml").standardized.path
        let configuration = try ConfigLoader.load(
            path: path, environment: ["CHATBOTS_CLIENT_SECRET": "x", "CHATBOTS_ALERT_WEBHOOK": "http://127.0.0.1:8080/hooks/alerts"])
        #expect(configuration.server.origin == "https://support.example")
        #expect(configuration.engine.curators == ["curator-1", "curator-2"])
        #expect(configuration.engineConfiguration().stateBytesInMemory == 32 << 20)
        let bots = try BotRegistry.builtIn.makeBots(configuration.bots, file: path)
        #expect(bots.map(\.name) == ["auto_assign", "after_hours", "sla_alerts"])
        #expect(configuration.monitoring == MonitoringSection(enabled: true, host: "127.0.0.1", port: 9464, readyMaxOutbox: 1_000))
    }

    @Test func theDemoFileIsValidOnceTheDemoFillsItIn() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/demo.yaml").standardized.path
        let configuration = try ConfigLoader.load(
            path: path,
            environment: [
                "DEMO_PORT": "8080", "DEMO_STORE": "/tmp/demo.sqlite", "DEMO_HOURS": "17:05-01:05", "DEMO_CLIENT_SECRET": "x",
                "DEMO_ALERT_WEBHOOK": "http://127.0.0.1:8080/hooks/alerts",
            ])
        let bots = try BotRegistry.builtIn.makeBots(configuration.bots, file: path)
        #expect(bots.map(\.name) == ["auto_assign", "after_hours", "sla_alerts"])
    }

    @Test func aBadBotOptionIsNamedWithItsPathAndLine() throws {
        let yaml =
            minimal + """

                bots:
                  - type: sla_alerts
                    options:
                      policies:
                        - {kind: unread, warning: 10m, breach: 5m}
                """
        let configuration = try load(yaml)
        let error = try #require(throws: ConfigError.self) { try BotRegistry.builtIn.makeBots(configuration.bots, file: "chatbots.yaml") }
        #expect(error.keyPath == "bots[0].options.policies[0].warning")
        #expect(error.line == 13)
        #expect(error.message.contains("must come before the breach"))
    }

    @Test func aDurationOfMoreThanTenYearsIsATypo() throws {
        let yaml = minimal + "\nbots:\n  - type: auto_assign\n    options: {reassign_offline_after: 99999999999999999}\n"
        let configuration = try load(yaml)
        let error = try #require(throws: ConfigError.self) { try BotRegistry.builtIn.makeBots(configuration.bots, file: "chatbots.yaml") }
        #expect(error.keyPath == "bots[0].options.reassign_offline_after")
        #expect(error.message.contains("more than ten years"))
        #expect(ConfigDuration(parsing: "3651d") == nil)
        #expect(ConfigDuration(parsing: "3650d") == ConfigDuration.maximum)
        #expect(configError(minimal + "\nengine:\n  handler_timeout_seconds: .inf\n")?.keyPath == "engine.handler_timeout_seconds")
        #expect(configError(minimal + "\nengine:\n  state_in_memory_mb: -1\n")?.keyPath == "engine.state_in_memory_mb")
        #expect(try load(minimal + "\nengine:\n  state_in_memory_mb: 0\n").engineConfiguration().stateBytesInMemory == 0)
    }

    @Test func anApostropheInAPlainValueDoesNotHideAComment() throws {
        let configuration = try load(
            minimal.replacingOccurrences(
                of: "url: ws://127.0.0.1:8080", with: "url: ws://127.0.0.1:8080\n  origin: https://we're.example   # or ${NOT_SET}"))
        #expect(configuration.server.origin == "https://we're.example")
    }

    @Test func aTrailingCommentMayMentionAVariableThatIsNotSet() throws {
        let configuration = try load(minimal.replacingOccurrences(of: "service_account_id: 1000", with: "service_account_id: 1000   # or ${NOT_SET}"))
        #expect(configuration.serviceAccountID == "1000")
        #expect(
            try load(minimal.replacingOccurrences(of: "service_account_id: 1000", with: "service_account_id: \"10#00\"")).serviceAccountID == "10#00")
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let configuration = try load(minimal)
        #expect(configuration.serviceAccountID == "1000")
        #expect(configuration.server.path == "/connect/")
        #expect(configuration.server.apiBaseURL == "http://127.0.0.1:8080")
        #expect(configuration.store.path == "./chatbots.sqlite")
        #expect(configuration.routes == ActionRoutes())
        #expect(configuration.auth.keycloak?.clientSecret.value == "s3cret")
        #expect(configuration.monitoring.enabled == nil, "whoever runs the runtime decides")
        #expect(configuration.monitoring.port == 9464)
    }

    @Test(arguments: [
        ("port: 70000", "monitoring.port", "between 0 and 65535"),
        ("ready_max_outbox: -1", "monitoring.ready_max_outbox", "must not be negative"),
        ("enabled: maybe", "monitoring.enabled", "true or false"),
        ("prot: 9000", "monitoring.prot", "port"),
    ])
    func badMonitoringSettingsAreNamed(yaml: String, keyPath: String, reason: String) throws {
        let error = try #require(configError(minimal + "\nmonitoring:\n  \(yaml)\n"))
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(reason))
    }

    @Test func aLiteralSecretInAFileOthersCanReadIsRefusedButAllowedOwnerOnlyOrAsAVariable() async throws {
        try await withTemporaryFolder { folder in
            let path = folder.appendingPathComponent("bots.yaml").path
            let literal = minimal.replacingOccurrences(of: "${SECRET}", with: "s3cret-in-the-file")
            try literal.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: path, environment: [:]) }
            #expect(error.keyPath == "auth.keycloak.client_secret")
            #expect(error.line == 7)
            #expect(error.message.contains("mode 644") && error.message.contains("chmod 600"))
            #expect(!"\(error)".contains("s3cret-in-the-file"), "the refusal never prints the secret")

            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            #expect(try ConfigLoader.load(path: path, environment: [:]).auth.keycloak?.clientSecret.value == "s3cret-in-the-file")

            try minimal.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            #expect(try ConfigLoader.load(path: path, environment: ["SECRET": "s"]).auth.keycloak?.clientSecret.value == "s")

            // Whatever the style, a value that is more than one ${VAR} is literal.
            for written in [
                "\nalerts:\n  webhook_url: https://hooks.example/T0/B0/secretpath\n",
                "\nalerts: {webhook_url: \"https://${HOST}/hooks/T0/B0/secretpath\"}\n",
                "\nalerts:\n  webhook_url: >-\n    https://hooks.example/T0/B0/secretpath\n",
            ] {
                try (minimal + written).write(toFile: path, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
                let error = try #require(throws: ConfigError.self, "\(written)") {
                    try ConfigLoader.load(path: path, environment: ["SECRET": "s", "HOST": "h"])
                }
                #expect(error.keyPath == "alerts.webhook_url", "\(written)")
            }
            // A ${VAR} in a flow mapping does not hide a literal secret elsewhere in the
            // file, and any name substitution takes is a variable.
            try (literal + "\nalerts: {webhook_url: ${HOOK}}\n").write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let mixed = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: path, environment: ["HOOK": "http://h"]) }
            #expect(mixed.keyPath == "auth.keycloak.client_secret")
            try minimal.replacingOccurrences(of: "${SECRET}", with: "${MY-SECRET}").write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            #expect(try ConfigLoader.load(path: path, environment: ["MY-SECRET": "s"]).auth.keycloak?.clientSecret.value == "s")

            // A flow mapping hides nothing, and a symlink is judged by its file.
            let flow = minimal.replacingOccurrences(of: "client_secret: ${SECRET}", with: "client_secret: \"hunter2\"")
            try flow.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let link = folder.appendingPathComponent("link.yaml").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
            #expect(try ConfigLoader.load(path: link, environment: [:]).auth.keycloak?.clientSecret.value == "hunter2")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let throughLink = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: link, environment: [:]) }
            #expect(throughLink.keyPath == "auth.keycloak.client_secret")
        }
    }

    /// A user's settings type, synthesized `Decodable` with nothing about strictness: a
    /// misspelt optional key is refused all the same, with its file, line and path.
    @Test func aUsersBotOptionsAreStrictWithoutALineOfTheirOwn() throws {
        struct Options: Decodable {
            var greeting: String
            var limit: Int?
        }
        struct Quiet: Bot {
            let name: String
            func handle(_ event: ChatEvent, in context: BotContext) {}
        }
        var registry = BotRegistry()
        registry.register("quiet") { options in
            _ = try options.decode(Options.self)
            return Quiet(name: options.name)
        }
        let bots = { (options: String) in
            try registry.makeBots(try load(minimal + "\nbots:\n  - type: quiet\n    options:\n" + options).bots, file: "bots.yaml")
        }
        #expect(try bots("      greeting: hi\n      limit: 3\n").map(\.name) == ["quiet"])
        let error = try #require(throws: ConfigError.self) { try bots("      greeting: hi\n      limt: 3\n") }
        #expect(error.keyPath == "bots[0].options.limt")
        #expect(error.line == 13)
        #expect(error.message.contains(#"unknown key "limt" (did you mean "limit"?)"#))
        #expect("\(error)".hasPrefix("bots.yaml:13: bots[0].options.limt: unknown key"))
    }

    @Test func aMisspeltKeyIsNamedWithItsLine() throws {
        let error = try #require(configError(minimal + "\nengine:\n  handler_timout_seconds: 5\n"))
        #expect(error.keyPath == "engine.handler_timout_seconds")
        #expect(error.line == 10)
        #expect(error.message.contains("did you mean \"handler_timeout_seconds\""))
        #expect("\(error)".hasPrefix("chatbots.yaml:10: engine.handler_timout_seconds"))
    }

    @Test func aValueOfTheWrongTypeIsNamed() throws {
        let error = try #require(configError(minimal + "\nserver_x: 1\n"))
        #expect(error.keyPath == "server_x")
        let typed = try #require(
            configError(minimal.replacingOccurrences(of: "url: ws://127.0.0.1:8080", with: "url: ws://127.0.0.1:8080\n  ping_interval_seconds: soon"))
        )
        #expect(typed.keyPath == "server.ping_interval_seconds")
        #expect(typed.line == 3)
    }

    @Test func aMissingRequiredKeyIsNamed() throws {
        let error = try #require(configError(minimal.replacingOccurrences(of: "service_account_id: 1000", with: "")))
        #expect(error.keyPath == "service_account_id")
        #expect(error.message.contains("required"))
    }

    @Test func aMissingEnvironmentVariableIsNamedWithItsLine() throws {
        let error = try #require(configError(minimal, environment: [:]))
        #expect(error.message.contains("SECRET"))
        #expect(error.line == 7)
    }

    @Test func plainWebSocketToARemoteHostIsRefused() throws {
        let error = try #require(configError(minimal.replacingOccurrences(of: "ws://127.0.0.1:8080", with: "ws://chat.example.com")))
        #expect(error.keyPath == "server.url")
        #expect(error.message.contains("wss://"))
    }

    @Test func brokenYAMLIsReportedWithItsLine() throws {
        let error = try #require(configError(minimal + "\nbots: [unclosed\n"))
        #expect(error.message.contains("not valid YAML"))
        #expect(error.line != nil)
    }

    @Test func aRouteCanBeOverriddenAlone() throws {
        let configuration = try load(minimal + "\nroutes:\n  mark_read: {method: put, path: \"/v2/read/{chat_id}\"}\n")
        #expect(configuration.routes.markRead == .init(method: "put", path: "/v2/read/{chat_id}", body: [:]))
        let request = configuration.routes.request(for: .markRead(chatID: "7", lastMessageID: "9"), baseURL: "http://backend")
        #expect(request?.method == "PUT", "a method is sent in upper case, however it is written")
        #expect(request?.url == "http://backend/v2/read/7")
        #expect(configuration.routes.sendMessage == ActionRoutes().sendMessage)
    }

    @Test func twoBotsWithOneNameAreRefused() throws {
        let error = try #require(configError(minimal + "\nbots:\n  - type: greeter\n  - type: greeter\n"))
        #expect(error.keyPath == "bots[1].name")
    }
}
