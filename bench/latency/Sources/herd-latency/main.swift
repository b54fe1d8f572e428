// herd-latency: latency probes of Herd, for bench/run (docs/PERFORMANCE.md explains every figure).
//
// Round trip of single-subtask echo jobs submitted one after another (RoundTrip.swift):
//   herd-latency client ENDPOINT GROUP COUNT WARMUP SIZE [SAMPLES]
//       Through the public API: HerdClient(endpoint:).submit(JobSpec(...)), one job per round trip,
//       timed from submit() to the .finished update. (HerdClient opens a connection per job.)
//   herd-latency wire ENDPOINT GROUP COUNT WARMUP SIZE [SAMPLES]
//       One long-lived DEALER speaking Herd's wire protocol (HerdCore.WireCodec): SUBMIT, then wait
//       for JOB-FINISHED. The same path through coordinator and worker, without the client's
//       per-job connection set-up: the figure to compare with the raw-libzmq baseline's.
//   Both print one JSON line: {"mode": ..., "count": ..., "p50_us": ..., "p99_us": ..., ...}, and
//   append every sample (microseconds, one per line) to the file SAMPLES if given.
//
// Multi-process benchmarks (each starts its own coordinator and workers, prints one JSON line, and
// kills every process it started, also on failure or SIGINT/SIGTERM):
//   herd-latency cancel --herd HERD --logs DIR [--workers 4 --capacity 250 --counts 1,100,1000
//                       --trials 50,20,10 --warmup 2 --heartbeat 250ms --liveness 10s]
//       Cancel latency with Swift handlers (workers: `herd-latency worker`, below): from sending
//       CANCEL-JOB to every handler having observed the cancellation, and to CANCEL-REPLY.
//   herd-latency exec-cancel --herd HERD --logs DIR [same options]
//       Cancel latency with exec children (`herd worker --exec long='echo $$ >> FIFO; exec sleep
//       600'`): from CANCEL-JOB to every child process having exited (pidfds), and to CANCEL-REPLY.
//   herd-latency drain --herd HERD --logs DIR [--counts 10,100,500 --trials 5 --grace-ms 0]
//       A worker holding N subtasks is drained (DRAIN-REQUEST, as `herd drain --worker ID`): time
//       to the last subtask restarted on another worker and to the drained worker's exit; lost and
//       duplicated results from the job's `herd submit --json` output.
//   herd-latency failover --herd HERD --logs DIR [--counts 100,500 --trials 5 --heartbeat 250ms
//                         --liveness 1s --how kill]
//       A worker holding N subtasks is killed with SIGKILL (`--how stop`: stopped with SIGSTOP, a
//       hung worker whose connection stays open): time to the subtasks' re-dispatch (restart on
//       another worker) and to their results at the client; lost and duplicated.
//   herd-latency swift-floor N TRIALS WARMUP [SAMPLES]
//       The Swift runtime's floor under the `cancel` figure: N tasks waiting in Task.sleep in one
//       process, cancelled one after another from one thread; time to the last one resuming.
//   herd-latency worker ENDPOINT GROUP CAPACITY ID hold|quick [PARENT_PID]
//       A worker process built on WorkerService with one kind, `hold`. `hold` handlers wait for
//       cancellation; `quick` ones return at once. Reports on stdout, one line each, with
//       CLOCK_MONOTONIC nanoseconds (comparable across the processes of one host):
//       `ready ID`, `S JOB INDEX ATTEMPT T_START`, `C JOB INDEX ATTEMPT T_DELIVERED T_OBSERVED`.
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("herd-latency: \(message)\n".utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? ""
let rest = Array(arguments.dropFirst())
switch mode {
case "client": await RoundTrip.runClient(rest)
case "wire": RoundTrip.runWire(rest)
case "worker": await BenchWorker.main(rest)
case "swift-floor": await SwiftFloor.main(rest)
case "cancel", "exec-cancel", "drain", "failover": MultiProcessBench.main(mode: mode, rest)
default:
    fail(
        "unknown mode '\(mode)': use client, wire, cancel, exec-cancel, drain, failover, swift-floor or worker (see main.swift)"
    )
}
