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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // libzmq from the system (Debian: libzmq3-dev).
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
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
                "HerdCore", "HerdConfig", "HerdZMQ", "HerdSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        // The deterministic simulator: the same machines on a virtual clock and a simulated network.
        .target(
            name: "HerdSim",
            dependencies: ["HerdCore", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "herd",
            dependencies: [
                "HerdRuntime", "HerdCore", "HerdConfig", "HerdSim", "herd-exec-guard",
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
        .testTarget(name: "HerdZMQTests", dependencies: ["HerdZMQ", "CZeroMQ"], swiftSettings: strict),
        .testTarget(
            name: "HerdRuntimeTests",
            dependencies: ["HerdRuntime", "HerdCore", "HerdConfig", "HerdSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HerdIntegrationTests",
            dependencies: ["herd", "HerdCore", "HerdRuntime", "HerdZMQ", "HerdSystem"],
            swiftSettings: strict
        ),
    ]
)
