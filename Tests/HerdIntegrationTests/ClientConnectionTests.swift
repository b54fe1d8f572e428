import Foundation
import HerdCore
import HerdRuntime
import HerdTestKit
import Testing

/// One `HerdClient` keeps one connection for all its jobs (issue 13), and its jobs stay apart.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClientConnectionTests {
    /// Established TCP connections to `port` on this host (/proc/net/tcp, state 01): the
    /// workers' and the clients' sockets towards the coordinator.
    func connections(toPort port: Int) -> Int {
        // Read to the end: a procfs file has no size, and a busy host's table spans many pages.
        let data = FileHandle(forReadingAtPath: "/proc/net/tcp").flatMap { try? $0.readToEnd() } ?? Data()
        let table = String(decoding: data, as: UTF8.self)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, let remote = fields[2].split(separator: ":").last else { return false }
            return Int(remote, radix: 16) == port && fields[3] == "01"
        }.count
    }

    func port(of endpoint: String) throws -> Int {
        try #require(endpoint.split(separator: ":").last.flatMap { Int($0) })
    }

    /// Runs a job to its end: its results by index, and its summary.
    func run(_ client: HerdClient, _ spec: JobSpec) async throws -> (results: [UInt32: JobResult], summary: JobSummary?)
    {
        var results: [UInt32: JobResult] = [:]
        var summary: JobSummary?
        for try await update in client.submit(spec) {
            switch update {
            case .results(let batch):
                for result in batch {
                    #expect(results.updateValue(result, forKey: result.subtask.index) == nil, "delivered twice")
                }
            case .finished(let finished): summary = finished
            default: break
            }
        }
        return (results, summary)
    }

    @Test func test_manyJobs_oneHerdClient_oneConnection_eachJobGetsItsOwnResults() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("c1", group: "g", capacity: 8)
            try await cluster.addWorker("c2", group: "g", capacity: 8)
            let port = try self.port(of: cluster.endpoint)
            let workers = self.connections(toPort: port)
            #expect(workers >= 2, "the two workers' connections are seen")
            let client = HerdClient(endpoint: cluster.endpoint)
            let clock = ContinuousClock()
            let start = clock.now
            for round in 0 ..< 20 {  // one after another
                let (results, summary) = try await self.run(
                    client,
                    JobSpec(group: "g", kind: "echo", template: "r\(round)-{index}", count: 3)
                )
                #expect(summary?.succeeded == 3)
                #expect(results.count == 3)
                for (index, result) in results {
                    #expect(result.outcome == .success(Array("r\(round)-\(index)".utf8)))
                }
            }
            print("ClientConnectionTests: 20 jobs one after another in \(start.duration(to: clock.now))")
            // Ten at once: each sees its own payloads only.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in 0 ..< 10 {
                    group.addTask {
                        let (results, summary) = try await self.run(
                            client,
                            JobSpec(group: "g", kind: "echo", template: "j\(job)-{index}", count: 50)
                        )
                        #expect(summary?.succeeded == 50)
                        #expect(results.count == 50)
                        #expect(results.allSatisfy { $0.value.outcome == .success(Array("j\(job)-\($0.key)".utf8)) })
                    }
                }
                try await group.waitForAll()
            }
            #expect(self.connections(toPort: port) == workers + 1, "the client's 30 jobs shared one connection")
        }
    }

    @Test func test_cancelOneJob_theOtherOnTheSameConnectionFinishes() async throws {
        try await withCluster { cluster in
            try await cluster.addWorker("c1", group: "g", capacity: 8)
            let client = HerdClient(endpoint: cluster.endpoint)
            let long = client.submit(JobSpec(group: "g", kind: "sleep", template: "60000", count: 4))
            var iterator = long.makeAsyncIterator()
            guard case .accepted = try await iterator.next() else {
                Issue.record("the long job was not accepted first")
                return
            }
            let (results, summary) = try await self.run(
                client,
                JobSpec(group: "g", kind: "echo", template: "{index}", count: 4)
            )
            #expect(summary?.succeeded == 4 && results.count == 4)
            long.cancel(reason: "test")
            var cancelled = 0
            var finished: JobSummary?
            while let update = try await iterator.next() {
                if case .results(let batch) = update { cancelled += batch.count }
                if case .finished(let summary) = update { finished = summary }
            }
            #expect(cancelled == 4)
            #expect(finished?.cancelled == 4)
            // And the connection still serves new jobs.
            let (_, again) = try await self.run(client, JobSpec(group: "g", kind: "echo", template: "x", count: 1))
            #expect(again?.succeeded == 1)
        }
    }
}
