# bench/lib/build.sh: builds herd, herd-latency and the C baselines (release) from the work tree,
# --rev REV or --source DIR; sets HERD, LATENCY, ZMQBENCH, KILLFLOOR and REVISION. Sourced by bench/run.
if [ -n "$REV" ] && [ -n "$SOURCE" ]; then
    say "bench/run: use either --rev or --source"; exit 2
elif [ -n "$SOURCE" ]; then
    SRC="$SOURCE"
    SCRATCH="$ROOT/.build-bench-source"
    REVISION="source:$(basename "$SOURCE")"
elif [ -n "$REV" ]; then
    SRC="$OUT/src/herd"
    COMMIT="$(git -C "$ROOT" rev-parse --verify "$REV^{commit}")" || { say "bench/run: no such revision: $REV"; exit 2; }
    # Export only when the revision changed, so that the build stays incremental.
    if [ "$(cat "$OUT/src/herd.commit" 2>/dev/null)" != "$COMMIT" ]; then
        rm -rf "$SRC"; mkdir -p "$SRC"
        git -C "$ROOT" archive "$COMMIT" | tar -x -C "$SRC"
        echo "$COMMIT" >"$OUT/src/herd.commit"
    fi
    SCRATCH="$ROOT/.build-bench-rev"
    REVISION="$(git -C "$ROOT" rev-parse --short "$COMMIT")"
else
    SRC="$ROOT"
    SCRATCH="$ROOT/.build-bench"
    REVISION="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    if [ -n "$(git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then REVISION="$REVISION+dirty"; fi
fi
HERD="$SCRATCH/release/herd"
LATENCY="$SCRATCH-latency/release/herd-latency"
ZMQBENCH="$OUT/zmqbench"
KILLFLOOR="$OUT/killfloor"
if [ "$BUILD" = 1 ]; then
    say "building herd (release) from $SRC ..."
    (cd "$SRC" && swift build -c release --scratch-path "$SCRATCH" --product herd) >"$LOGS/build-herd.log" 2>&1 \
        || { tail -30 "$LOGS/build-herd.log" >&2; say "bench/run: herd build failed (log: $LOGS/build-herd.log); to measure a committed revision instead: bench/run --rev HEAD"; exit 1; }
    say "building herd-latency (release) ..."
    # SwiftPM caches its build plan and does not notice files added to a path dependency: re-plan.
    rm -f "$SCRATCH-latency/release.yaml" "$SCRATCH-latency/release/description.json"
    HERD_SOURCE="$SRC" swift build -c release --package-path "$BENCH/latency" --scratch-path "$SCRATCH-latency" >"$LOGS/build-latency.log" 2>&1 \
        || { tail -30 "$LOGS/build-latency.log" >&2; say "bench/run: herd-latency build failed (log: $LOGS/build-latency.log)"; exit 1; }
    say "building the libzmq baseline (gcc -O2) ..."
    gcc -O2 -Wall -o "$ZMQBENCH" "$BENCH/baseline/zmqbench.c" -lzmq
    gcc -O2 -Wall -o "$KILLFLOOR" "$BENCH/baseline/killfloor.c"
fi
for binary in "$HERD" "$LATENCY" "$ZMQBENCH" "$KILLFLOOR"; do
    [ -x "$binary" ] || { say "bench/run: $binary is missing (run without --no-build)"; exit 1; }
done
