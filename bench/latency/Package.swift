// swift-tools-version: 6.2
// herd-latency: round-trip latency of single-subtask Herd jobs, and the multi-process cancel,
// drain and failover benchmarks, for bench/run.
//
// Depends on the Herd package by path: ../.. by default (this repository), or $HERD_SOURCE
// (bench/run sets it when it benchmarks another revision, e.g. `bench/run --rev HEAD~1`).
import Foundation
import PackageDescription

let herdPath = Context.environment["HERD_SOURCE"] ?? "../.."
// A path dependency's identity is the last component of its directory, lowercased.
let herdIdentity = URL(fileURLWithPath: herdPath, relativeTo: URL(fileURLWithPath: Context.packageDirectory + "/"))
    .standardizedFileURL.lastPathComponent.lowercased()

let package = Package(
    name: "herd-latency",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: herdPath)],
    targets: [
        // libzmq for the `wire` mode (one long-lived DEALER speaking Herd's protocol).
        .systemLibrary(name: "BenchZMQ"),
        // pidfds, CLOCK_MONOTONIC, posix_spawn, PR_SET_PDEATHSIG and a batched reporter thread.
        .target(name: "BenchC"),
        .executableTarget(
            name: "herd-latency",
            dependencies: [
                "BenchZMQ",
                "BenchC",
                .product(name: "Herd", package: herdIdentity),
                .product(name: "HerdCore", package: herdIdentity),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
