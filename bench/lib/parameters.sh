# bench/lib/parameters.sh: the sizes, repeats and timeouts of a run (--quick or full); the run's
# timestamp and log directory. Sourced by bench/run.
# Parameters. Full: about 4 minutes of measuring (the issue allows 10); quick: about a minute.
PAYLOAD_SIZE=64
WINDOW=1000                 # baseline client window = Herd's total worker capacity
if [ "$QUICK" = 1 ]; then
    THROUGHPUT_SUBTASKS=20000; REPEATS=1
    E2E_SUBTASKS=20000
    RTT_COUNT=400; RTT_WARMUP=100; RTT_ROUNDS=2
    IDLE_SECONDS=5
    MEMORY_SUBTASKS=200000
    SCALE_COUNT_64=5000; SCALE_COUNT_4K=5000; SCALE_COUNT_64K=1000
    SCALE_JOB_SIZES=(100 1000 10000 100000); SCALE_JOB_MIN_TOTAL=5000
    CANCEL_RTT_COUNT=400
    CANCEL_TRIALS=(30 20 10); CANCEL_WARMUP=2          # Swift handlers, per in-flight count
    EXEC_TRIALS=(10 5 3); EXEC_WARMUP=1                # exec children (and the OS floor)
    DRAIN_COUNTS=10,100,500; DRAIN_TRIALS=2; DRAIN_GRACE_RUNS=""
    FAILOVER_COUNTS=100,500; FAILOVER_TRIALS=2; STALL_COUNTS=100; STALL_TRIALS=1
else
    THROUGHPUT_SUBTASKS=100000; REPEATS=5
    E2E_SUBTASKS=100000
    RTT_COUNT=2000; RTT_WARMUP=200; RTT_ROUNDS=4
    IDLE_SECONDS=10
    MEMORY_SUBTASKS=1000000
    SCALE_COUNT_64=50000; SCALE_COUNT_4K=20000; SCALE_COUNT_64K=5000
    SCALE_JOB_SIZES=(100 1000 10000 100000 1000000); SCALE_JOB_MIN_TOTAL=20000
    CANCEL_RTT_COUNT=2000
    CANCEL_TRIALS=(200 100 100); CANCEL_WARMUP=5
    EXEC_TRIALS=(100 50 30); EXEC_WARMUP=2
    DRAIN_COUNTS=10,100,500; DRAIN_TRIALS=10; DRAIN_GRACE_RUNS="100:1000"   # also: N=100 with a 1 s grace
    FAILOVER_COUNTS=10,100,500; FAILOVER_TRIALS=10; STALL_COUNTS=100; STALL_TRIALS=5
fi
# End to end: the workers' capacities (2 workers each), one cluster per capacity.
E2E_CAPACITIES=(64 500)
# Vanished client: exec children running when their `herd submit` is killed, and trials.
VANISH_SUBTASKS=50
if [ "$QUICK" = 1 ]; then VANISH_TRIALS=2; else VANISH_TRIALS=5; fi
# Restart: subtasks queued in a journaling coordinator killed and restarted (issue 10's figure).
RESTART_SUBTASKS=100000
if [ "$QUICK" = 1 ]; then RESTART_TRIALS=1; else RESTART_TRIALS=3; fi
# Cancel: subtasks in flight, over CANCEL_WORKERS workers of CANCEL_CAPACITY each (1,000 in all).
CANCEL_COUNTS=(1 100 1000); CANCEL_WORKERS=4; CANCEL_CAPACITY=250
# Failover: the coordinator's heartbeat and liveness window (its defaults, cluster/local.toml's).
FAILOVER_HEARTBEAT=250ms; FAILOVER_LIVENESS=1s
SCALE_WORKERS=(1 2 4 8)
SCALE_SIZES=(64 4096 65536)
READY_TIMEOUT=30            # seconds to wait for a readiness line
RUN_TIMEOUT=300             # seconds any single measured command may take

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOGS="$OUT/logs-$STAMP"
mkdir -p "$OUT" "$LOGS"
say() { printf '%s\n' "$*" >&2; }
