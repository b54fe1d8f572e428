import Foundation
import HerdCore
import HerdRuntime

/// Round trip of single-subtask echo jobs submitted one after another (modes `client` and `wire`).
enum RoundTrip {
    struct Arguments {
        var endpoint: String
        var group: String
        var count: Int
        var warmup: Int
        var size: Int
        var samplesPath: String?
        var payload: [UInt8] { [UInt8](repeating: UInt8(ascii: "x"), count: self.size) }

        init(_ arguments: [String], mode: String) {
            guard arguments.count == 5 || arguments.count == 6, let count = Int(arguments[2]),
                let warmup = Int(arguments[3]),
                let size = Int(arguments[4]), count > 0, warmup >= 0, size >= 0
            else {
                fail("usage: herd-latency \(mode) ENDPOINT GROUP COUNT WARMUP SIZE [SAMPLES]")
            }
            self.endpoint = arguments[0]
            self.group = arguments[1]
            self.count = count
            self.warmup = warmup
            self.size = size
            self.samplesPath = arguments.count == 6 ? arguments[5] : nil
        }
    }

    static func report(_ samples: [Double], mode: String, _ arguments: Arguments) {
        if let path = arguments.samplesPath { Stats.appendSamples(samples, to: path) }
        let sorted = samples.sorted()
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        let line = String(
            format:
                "{\"mode\": \"%@\", \"count\": %d, \"warmup\": %d, \"size\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f}\n",
            mode,
            arguments.count,
            arguments.warmup,
            arguments.size,
            Stats.percentile(sorted, 0.50),
            Stats.percentile(sorted, 0.99),
            mean,
            sorted.last!
        )
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    }

    // MARK: - Through HerdClient

    static func runClient(_ raw: [String]) async {
        let arguments = Arguments(raw, mode: "client")
        let client = HerdClient(endpoint: arguments.endpoint)
        let spec = JobSpec(group: arguments.group, kind: "echo", payloads: .template(arguments.payload, count: 1))
        var samples: [Double] = []
        samples.reserveCapacity(arguments.count)
        let clock = ContinuousClock()
        for round in 0 ..< (arguments.warmup + arguments.count) {
            let start = clock.now
            var finished = false
            do {
                for try await update in client.submit(spec) {
                    if case .finished(let summary) = update {
                        guard summary.succeeded == 1 else { fail("job \(summary.job) did not succeed: \(summary)") }
                        finished = true
                    }
                }
            } catch {
                fail("submit failed: \(error)")
            }
            guard finished else { fail("job ended without a summary") }
            if round >= arguments.warmup { samples.append(microseconds(start.duration(to: clock.now))) }
        }
        report(samples, mode: "client", arguments)
    }

    // MARK: - One DEALER, Herd's wire protocol

    static func runWire(_ raw: [String]) {
        let arguments = Arguments(raw, mode: "wire")
        let client = WireClient(endpoint: arguments.endpoint)
        let payload = arguments.payload
        var samples: [Double] = []
        samples.reserveCapacity(arguments.count)
        let clock = ContinuousClock()
        for round in 0 ..< (arguments.warmup + arguments.count) {
            let start = clock.now
            client.roundTrip(token: UInt64(round + 1), group: arguments.group, payload: payload)
            if round >= arguments.warmup { samples.append(microseconds(start.duration(to: clock.now))) }
        }
        report(samples, mode: "wire", arguments)
    }
}
