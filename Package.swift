// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Herd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herd", targets: ["herd"]),
        .executable(name: "herd-exec-guard", targets: ["herd-exec-guard"]),
        .library(name: "Herd", targets: ["HerdRuntime"]),
        .library(name: "HerdCore", targets: ["HerdCore"]),
        .library(name: "HerdConfig", targets: ["HerdConfig"]),
        .library(name: "HerdJournal", targets: ["HerdJournal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // libzmq from the system (Debian: libzmq3-dev).
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        // libsqlite3 from the system (Debian: libsqlite3-dev), for the coordinator's journal.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The C Swift cannot call directly: variadic syscalls, _GNU_SOURCE functions, signal macros.
        .target(name: "CHerdSystem"),
        // POSIX in one place: threads, a set-once value, posix_spawn, signals, pidfds.
        .target(name: "HerdSystem", dependencies: ["CHerdSystem"], swiftSettings: strict),
        // Pure decisions: protocol, codec, state machines. No I/O, no async.
        .target(
            name: "HerdCore",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // Cluster files: the TOML-subset reader and the settings it fills, over HerdCore's types.
        .target(name: "HerdConfig", dependencies: ["HerdCore"], swiftSettings: strict),
        // A small safe layer over libzmq: sockets, frames, a poll loop on its own thread.
        .target(
            name: "HerdZMQ",
            dependencies: [
                "CZeroMQ", "HerdSystem",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // The imperative shell: coordinator, worker and client services over HerdCore + HerdZMQ.
        .target(
            name: "HerdRuntime",
            dependencies: [
                "HerdCore", "HerdConfig", "HerdJournal", "HerdZMQ", "HerdSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Operations: the Prometheus registry behind swift-metrics and the `/metrics` HTTP endpoint (SwiftNIO).
        .target(
            name: "HerdMetrics",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The coordinator's journal: opaque records stored durably in SQLite (WAL mode).
        .target(name: "HerdJournal", dependencies: ["CSQLite"], swiftSettings: strict),
        // Writes numbered batches to a journal until killed (the crash test), or measures it (`--bench`).
        .executableTarget(name: "HerdJournalCrashWriter", dependencies: ["HerdJournal"], swiftSettings: strict),
        // The deterministic simulator: the same machines on a virtual clock and a simulated network.
        .target(
            name: "HerdSim",
            dependencies: ["HerdCore", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        // One launcher of local clusters (real `herd` processes): for `herd up`, the tests and bench.
        .target(
            name: "HerdLauncher",
            dependencies: ["HerdRuntime", "HerdCore", "HerdConfig", "HerdZMQ"],
            swiftSettings: strict
        ),
        // Test support: the multi-process tests' cluster, over HerdLauncher.
        .target(name: "HerdTestKit", dependencies: ["HerdLauncher", "HerdRuntime"], swiftSettings: strict),
        .executableTarget(
            name: "herd",
            dependencies: [
                "HerdRuntime", "HerdCore", "HerdConfig", "HerdSim", "HerdLauncher", "HerdZMQ", "HerdMetrics",
                "herd-exec-guard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Kills an exec child's process group when its worker dies (docs/EXEC.md). C, one per exec
        // child: a single poll loop, ~400 KB of private memory.
        .executableTarget(name: "herd-exec-guard", path: "Sources/HerdExecGuard"),
        .executableTarget(
            name: "HerdExample",
            dependencies: ["HerdRuntime", "HerdCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "HerdCoreTests", dependencies: ["HerdCore"], swiftSettings: strict),
        .testTarget(name: "HerdConfigTests", dependencies: ["HerdConfig", "HerdCore"], swiftSettings: strict),
        .testTarget(name: "HerdSimTests", dependencies: ["HerdSim", "HerdCore"], swiftSettings: strict),
        .testTarget(name: "HerdSystemTests", dependencies: ["HerdSystem"], swiftSettings: strict),
        .testTarget(
            name: "HerdJournalTests",
            dependencies: ["HerdJournal", "CSQLite", "HerdJournalCrashWriter"],
            swiftSettings: strict
        ),
        .testTarget(name: "HerdZMQTests", dependencies: ["HerdZMQ", "CZeroMQ"], swiftSettings: strict),
        .testTarget(
            name: "HerdRuntimeTests",
            dependencies: [
                "HerdRuntime", "HerdCore", "HerdConfig", "HerdSystem", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Parse-only tests of every `herd` subcommand (`@testable import herd`).
        .testTarget(
            name: "HerdCLITests",
            dependencies: [
                "herd", "HerdCore", "HerdConfig", "HerdSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HerdIntegrationTests",
            dependencies: [
                "herd", "HerdCore", "HerdConfig", "HerdRuntime", "HerdZMQ", "HerdLauncher", "HerdTestKit", "HerdSystem",
            ],
            swiftSettings: strict
        ),
    ]
)
