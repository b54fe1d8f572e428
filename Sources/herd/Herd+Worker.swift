import ArgumentParser
import Foundation
import HerdCore
import HerdMetrics
import HerdRuntime
import Logging
import ServiceLifecycle
import UnixSignals

extension Herd {
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a worker: register with a group and run the subtasks dispatched to it.",
            discussion: """
                Built-in kinds: echo (returns its payload), sleep (payload = milliseconds), fail (payload = a category).
                --exec KIND=COMMAND declares a kind whose subtasks run COMMAND through /bin/sh -c: payload on
                stdin, result on stdout (see docs/EXEC.md for the environment and exit-status mapping).
                """
        )

        @OptionGroup var coordinator: ConnectOptions

        @Option(name: .long, help: "The worker group to join.")
        var group: String

        @Option(name: .long, help: "A node label (default: the host name).")
        var node: String?

        @Option(name: .long, help: "Subtasks run at once.")
        var capacity: Int = 4

        @Option(name: .long, help: "A worker id (default: <host>-<pid>-<random>).")
        var id: String?

        @Option(name: .customLong("exec"), help: "Declare an exec kind: KIND=COMMAND (repeatable).")
        var execs: [String] = []

        @Option(name: .long, help: "Time an exec child gets between SIGTERM and SIGKILL when cancelled.")
        var killGrace: DurationArgument?

        @Option(
            name: .long,
            help:
                "On SIGTERM, how long in-flight subtasks may finish before they are given back (default 10s). A second SIGTERM gives them back at once."
        )
        var drainGrace: DurationArgument?

        @Option(
            name: .long,
            help:
                "A health probe run through /bin/sh -c every --health-interval: exit 0 is healthy. An unhealthy worker gets no new work until the probe passes again."
        )
        var health: String?

        @Option(name: .long, help: "How often the --health probe runs (default 10s).")
        var healthInterval: DurationArgument?

        @Option(
            name: .long,
            help:
                "Serve Prometheus metrics (GET /metrics) on HOST:PORT: handlers running, exec children, handler durations."
        )
        var metrics: String?

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard (1 ... 10_000).contains(self.capacity) else {
                throw ValidationError("--capacity must be 1...10000, got \(self.capacity)")
            }
            guard self.group.range(of: "^[A-Za-z0-9._-]{1,64}$", options: .regularExpression) != nil else {
                throw ValidationError(
                    "--group must be 1-64 characters of letters, digits, '.', '_' or '-', got '\(self.group)'"
                )
            }
            for exec in self.execs {
                do { _ = try ExecCommand(parsing: exec) } catch { throw ValidationError("--exec \(exec): \(error)") }
            }
        }

        func run() async throws {
            let logger = self.logging.bootstrap(label: "herd.worker", defaultLevel: .info)
            var options = WorkerOptions(
                endpoint: self.coordinator.endpoint,
                group: self.group,
                capacity: UInt32(self.capacity),
                execCommands: try self.execs.map { try ExecCommand(parsing: $0) }
            )
            options.security = try self.coordinator.security(defaultKey: "worker")
            if let id { options.workerID = id }
            if let node { options.node = node }
            if let killGrace { options.killGrace = killGrace.duration }
            if let drainGrace { options.drainGrace = drainGrace.duration }
            options.health = self.health
            var metricsEndpoint: MetricsEndpoint?
            if let address = self.metrics, !address.isEmpty {
                do {
                    metricsEndpoint = try await MetricsEndpoint.start(address, registry: MetricsEndpoint.bootstrap())
                } catch {
                    throw usageFailure("\(error)")
                }
                options.metrics = true
                logger.notice("serving metrics", metadata: ["url": "http://\(metricsEndpoint!.address)/metrics"])
            }
            defer { _ = metricsEndpoint }
            if let healthInterval { options.healthInterval = healthInterval.duration }
            let workerID = options.workerID
            let groupName = options.group
            let worker = try WorkerService(options: options, logger: logger)
            // The first SIGTERM/SIGINT is the group's graceful shutdown, which drains the worker
            // (see WorkerService.run()); every later one forces the stop (ForceStopOnRepeatedSignal,
            // listed first so that it is shut down last, after the worker has ended).
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: ForceStopOnRepeatedSignal(worker: worker)),
                        .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    // Started by `herd up` (or a test) that has died: drain and leave.
                    await ProcessSetup.waitForParentExit(environment: ProcessInfo.processInfo.environment)
                    if !Task.isCancelled { worker.stop() }
                }
                tasks.addTask {
                    try await worker.waitUntilRegistered()
                    printLine("herd worker \(workerID) registered in group \(groupName)")
                }
                do {
                    try await group.run()
                } catch let error as HerdRuntimeError {
                    throw usageFailure(error.message)
                }
                tasks.cancelAll()
            }
        }
    }
}

/// Forces a draining worker to stop at the second SIGTERM/SIGINT (and any after it).
///
/// The group's own signal handler answers only the first signal (a graceful shutdown: the drain).
/// This service starts after the group has installed that handler, so every signal it sees was
/// seen by the group too: it skips the first and turns each later one into ``WorkerService/stop()``,
/// which, with the drain already asked for, gives the in-flight subtasks back at once.
private struct ForceStopOnRepeatedSignal: Service {
    let worker: WorkerService

    func run() async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        await cancelWhenGracefulShutdown {
            for await _ in signals.dropFirst() { self.worker.stop() }
        }
    }
}
