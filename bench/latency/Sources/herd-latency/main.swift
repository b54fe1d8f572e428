// herd-latency: round trip of single-subtask echo jobs submitted one after another.
//
//   herd-latency client ENDPOINT GROUP COUNT WARMUP SIZE [SAMPLES]
//       Through the public API: HerdClient(endpoint:).submit(JobSpec(...)), one job per round trip,
//       timed from submit() to the .finished update. (HerdClient opens a connection per job.)
//   herd-latency wire ENDPOINT GROUP COUNT WARMUP SIZE [SAMPLES]
//       One long-lived DEALER speaking Herd's wire protocol (HerdCore.WireCodec): SUBMIT, then wait
//       for JOB-FINISHED. The same path through coordinator and worker, without the client's
//       per-job connection set-up: the figure to compare with the raw-libzmq baseline's.
//
// Prints one JSON line: {"mode": ..., "count": ..., "p50_us": ..., "p99_us": ..., ...}, and appends
// every sample (microseconds, one per line) to the file SAMPLES if given.
import BenchZMQ
import Foundation
import HerdRuntime
import HerdCore

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("herd-latency: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 7 || arguments.count == 8, let count = Int(arguments[4]), let warmup = Int(arguments[5]), let size = Int(arguments[6]), count > 0, warmup >= 0, size >= 0 else {
    fail("usage: herd-latency client|wire ENDPOINT GROUP COUNT WARMUP SIZE [SAMPLES]")
}
let samplesPath: String? = arguments.count == 8 ? arguments[7] : nil
let mode = arguments[1]
let endpoint = arguments[2]
let group = arguments[3]
let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)

/// Nearest-rank percentile of sorted samples (the same rule as bench/baseline/zmqbench.c).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let index = min(max(Int((p * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)
    return sorted[index]
}

func report(_ samples: [Double]) {
    if let samplesPath {
        let text = samples.map { String(format: "%.1f\n", $0) }.joined()
        guard let file = FileHandle(forWritingAtPath: samplesPath) ?? {
            _ = FileManager.default.createFile(atPath: samplesPath, contents: nil)
            return FileHandle(forWritingAtPath: samplesPath)
        }() else { fail("cannot write \(samplesPath)") }
        file.seekToEndOfFile()
        file.write(Data(text.utf8))
        file.closeFile()
    }
    let sorted = samples.sorted()
    let mean = sorted.reduce(0, +) / Double(sorted.count)
    let line = String(
        format: "{\"mode\": \"%@\", \"count\": %d, \"warmup\": %d, \"size\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f}\n",
        mode, count, warmup, size, percentile(sorted, 0.50), percentile(sorted, 0.99), mean, sorted.last!
    )
    FileHandle.standardOutput.write(Data(line.utf8))
}

func microseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}

// MARK: - Through HerdClient

func runClient() async {
    let client = HerdClient(endpoint: endpoint)
    let spec = JobSpec(group: group, kind: "echo", payloads: .template(payload, count: 1))
    var samples: [Double] = []
    samples.reserveCapacity(count)
    let clock = ContinuousClock()
    for round in 0..<(warmup + count) {
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
        if round >= warmup { samples.append(microseconds(start.duration(to: clock.now))) }
    }
    report(samples)
}

// MARK: - One DEALER, Herd's wire protocol

final class WireClient {
    let context: UnsafeMutableRawPointer
    let socket: UnsafeMutableRawPointer
    let frame = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    init(endpoint: String) {
        guard let context = zmq_ctx_new(), let socket = zmq_socket(context, ZMQ_DEALER) else { fail("zmq_socket failed") }
        self.context = context
        self.socket = socket
        var zero: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        guard zmq_connect(socket, endpoint) == 0 else { fail("cannot connect to \(endpoint)") }
    }

    func send(_ message: Message) {
        let frames = WireCodec.encode(message)
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let rc = frame.withUnsafeBytes { zmq_send(self.socket, $0.baseAddress, $0.count, flags) }
            guard rc >= 0 else { fail("zmq_send: \(String(cString: zmq_strerror(zmq_errno())))") }
        }
    }

    func receive() -> Message {
        var frames: [[UInt8]] = []
        var more = true
        while more {
            zmq_msg_init(self.frame)
            guard zmq_msg_recv(self.frame, self.socket, 0) >= 0 else { fail("zmq_msg_recv: \(String(cString: zmq_strerror(zmq_errno())))") }
            let bytes = UnsafeRawBufferPointer(start: zmq_msg_data(self.frame), count: zmq_msg_size(self.frame))
            frames.append(Array(bytes))
            more = zmq_msg_more(self.frame) != 0
            zmq_msg_close(self.frame)
        }
        do { return try WireCodec.decode(frames) } catch { fail("undecodable message from the coordinator: \(error)") }
    }

    /// Submits a one-subtask job and returns once its JOB-FINISHED arrives.
    func roundTrip(token: UInt64) {
        self.send(.submit(Submission(token: token, group: group, kind: "echo", payloads: .template(payload, count: 1))))
        while true {
            switch self.receive() {
            case .jobFinished(let summary):
                guard summary.succeeded == 1 else { fail("job \(summary.job) did not succeed: \(summary)") }
                return
            case .rejected(let rejection):
                fail("job rejected: \(rejection.failure)")
            case .error(let error):
                fail("coordinator error: \(error)")
            default:
                continue  // ACCEPTED, JOB-RESULTS, HEARTBEAT
            }
        }
    }
}

func runWire() {
    let client = WireClient(endpoint: endpoint)
    var samples: [Double] = []
    samples.reserveCapacity(count)
    let clock = ContinuousClock()
    for round in 0..<(warmup + count) {
        let start = clock.now
        client.roundTrip(token: UInt64(round + 1))
        if round >= warmup { samples.append(microseconds(start.duration(to: clock.now))) }
    }
    report(samples)
}

switch mode {
case "client": await runClient()
case "wire": runWire()
default: fail("unknown mode '\(mode)': use client or wire")
}
