// swift-tools-version: 6.1
import CompilerPluginSupport
import PackageDescription

import class Foundation.ProcessInfo

/// One set of compiler settings for every target: Swift 6 language mode with strict
/// concurrency, plus two upcoming features that keep APIs honest.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ChatBots",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ChatBotKit", targets: ["ChatBotKit"]),
        .library(name: "ChatBotRuntime", targets: ["ChatBotRuntime"]),
        .library(name: "ChatBotTesting", targets: ["ChatBotTesting"]),
        .library(name: "ChatEmulator", targets: ["ChatEmulator"]),
        .library(name: "AfterHours", targets: ["AfterHours"]),
        .library(name: "AutoAssign", targets: ["AutoAssign"]),
        .library(name: "SLAAlerts", targets: ["SLAAlerts"]),
        .library(name: "Greeter", targets: ["Greeter"]),
        .library(name: "Triage", targets: ["Triage"]),
        .executable(name: "chatbots", targets: ["chatbots"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
        // `swift package generate-documentation --target ChatBotKit` (Scripts/build_docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // `@Configurable`: settings structs read from the config file, defaults written once.
        .macro(
            name: "ChatBotMacros",
            dependencies: [
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
            ],
            swiftSettings: swiftSettings
        ),
        // The event model: typed events, tolerant decoding, wire encoding.
        .target(
            name: "ChatBotKit",
            dependencies: [
                "ChatBotMacros",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What a bot author tests with: an in-memory store and a virtual clock.
        .target(
            name: "ChatBotTesting",
            dependencies: ["ChatBotKit"],
            swiftSettings: swiftSettings
        ),
        // The built-in bots: each its own module, written only against ChatBotKit,
        // exactly as a user's bot would be.
        .target(
            name: "AfterHours",
            dependencies: ["ChatBotKit"],
            path: "Bots/AfterHours",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AutoAssign",
            dependencies: ["ChatBotKit"],
            path: "Bots/AutoAssign",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SLAAlerts",
            dependencies: ["AutoAssign", "ChatBotKit"],
            path: "Bots/SLAAlerts",
            swiftSettings: swiftSettings
        ),
        // An example of a user's bot, with its own tests: what "Write your own bot" builds.
        .target(
            name: "Greeter",
            dependencies: ["ChatBotKit"],
            path: "Bots/Greeter",
            swiftSettings: swiftSettings
        ),
        // An example of a bot that asks an outside service and acts on the answer.
        .target(
            name: "Triage",
            dependencies: ["ChatBotKit"],
            path: "Bots/Triage",
            swiftSettings: swiftSettings
        ),
        // The live parts: gateway, tokens, SQLite store, delivery, config, the runtime.
        .target(
            name: "ChatBotRuntime",
            dependencies: [
                "AfterHours",
                "AutoAssign",
                "ChatBotKit",
                "SLAAlerts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // A local backend that speaks PROTOCOL.md for real: tokens, WebSocket, actions, faults.
        .target(
            name: "ChatEmulator",
            dependencies: [
                "ChatBotKit",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The bot lineups `chatbots bench` and the benchmarks in Benchmarks/ measure.
        .target(
            name: "BenchBots",
            dependencies: ["AfterHours", "AutoAssign", "ChatBotKit", "SLAAlerts"],
            swiftSettings: swiftSettings
        ),
        // The command-line tool.
        .executableTarget(
            name: "chatbots",
            dependencies: [
                "AfterHours",
                "AutoAssign",
                "BenchBots",
                "ChatBotKit",
                "ChatBotRuntime",
                "ChatBotTesting",
                "ChatEmulator",
                "SLAAlerts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChatBotKitTests",
            dependencies: ["ChatBotKit", "ChatBotTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AfterHoursTests",
            dependencies: ["AfterHours", "ChatBotKit", "ChatBotTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AutoAssignTests",
            dependencies: ["AutoAssign", "ChatBotKit", "ChatBotTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SLAAlertsTests",
            dependencies: ["ChatBotKit", "ChatBotTesting", "SLAAlerts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GreeterTests",
            dependencies: ["ChatBotKit", "ChatBotTesting", "Greeter"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TriageTests",
            dependencies: ["ChatBotKit", "ChatBotTesting", "Triage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChatBotsCommandTests",
            dependencies: [
                "chatbots", "AutoAssign", "ChatBotKit", "ChatBotRuntime", "ChatBotTesting", "ChatEmulator", "SLAAlerts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChatBotRuntimeTests",
            dependencies: [
                "AutoAssign",
                "ChatBotKit",
                "ChatBotRuntime",
                "ChatBotTesting",
                "ChatEmulator",
                "Triage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChatEmulatorTests",
            dependencies: [
                "ChatBotKit",
                "ChatEmulator",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// Benchmarks are run by hand (see docs/BENCHMARKS.md), never by `swift test`: their
// targets and the benchmark package join the graph only when CHATBOTS_BENCHMARKS is
// set, so the everyday build and CI do not pay for them.
if ProcessInfo.processInfo.environment["CHATBOTS_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    let benchmarks: [(name: String, dependencies: [Target.Dependency])] = [
        ("Decoding", ["ChatBotKit"]),
        ("StoreCommit", ["ChatBotKit", "ChatBotRuntime", "ChatEmulator"]),
        ("EngineBots", ["BenchBots", "ChatBotKit", "ChatBotTesting", "ChatEmulator"]),
        ("Timers", ["ChatBotKit"]),
    ]
    for benchmark in benchmarks {
        package.targets.append(
            .executableTarget(
                name: benchmark.name,
                dependencies: benchmark.dependencies + [.product(name: "Benchmark", package: "benchmark")],
                path: "Benchmarks/\(benchmark.name)",
                swiftSettings: swiftSettings,
                plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
            )
        )
    }
}

// The fuzz target joins only with CHATBOTS_FUZZ set, built with `-sanitize=fuzzer`
// (docs/RELIABILITY.md); its `main` hands over to libFuzzer's driver. Its corpus is
// replayed by an ordinary test in every `swift test`.
if ProcessInfo.processInfo.environment["CHATBOTS_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "FrameFuzzer",
            dependencies: ["ChatBotTesting"],
            path: "Fuzz/FrameFuzzer",
            swiftSettings: swiftSettings
        )
    )
}
