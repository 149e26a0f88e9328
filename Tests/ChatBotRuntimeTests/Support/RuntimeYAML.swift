/// A runtime configuration pointed at an emulator on `port`, with its default service
/// account, and `extra` YAML (bots, engine settings) appended.
func emulatorRuntimeYAML(port: Int, store: String, extra: String = "") -> String {
    emulatorRuntimeYAML(port: port, storeSection: "store:\n  path: \(store)\n", extra: extra)
}

/// The same, with the whole `store:` section given (a PostgreSQL one, say).
func emulatorRuntimeYAML(port: Int, storeSection: String, extra: String = "") -> String {
    """
    server:
      url: ws://127.0.0.1:\(port)
      ping_interval_seconds: 5
    auth:
      keycloak:
        token_url: http://127.0.0.1:\(port)/realms/support/protocol/openid-connect/token
        client_id: chatbots
        client_secret: chatbots-secret
    service_account_id: 1000
    alerts:
      webhook_url: http://127.0.0.1:\(port)/hooks/alerts

    """ + storeSection + "\n" + extra
}
