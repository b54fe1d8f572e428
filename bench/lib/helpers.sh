# bench/lib/helpers.sh: arithmetic, samples and /proc readings. Sourced by bench/run.
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
json_field() { grep -o "\"$2\": *[0-9.]*" <<<"$1" | head -1 | sed 's/.*: *//'; }
TICK_HZ="$(getconf CLK_TCK)"
# CPU ticks (utime + stime, all threads) of a process.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
payload_of() { head -c "$1" /dev/zero | tr '\0' 'x'; }

pooled() { # FILE P: nearest-rank percentile P (0..1) of the samples in FILE
    sort -g "$1" | awk -v p="$2" '{ a[NR] = $1 } END { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; printf "%.1f", a[i] }'
}
mean_of() { awk '{ s += $1 } END { printf "%.1f", s / NR }' "$1"; }
ticks_sum() { local t=0 pid; for pid in "$@"; do t=$((t + $(cpu_ticks "$pid"))); done; echo "$t"; }
# Per-thread CPU ns (tid ns lines), to diff two snapshots over the threads present in both.
thread_ns() { local task; for task in /proc/"$1"/task/*; do printf '%s %s\n' "${task##*/}" "$(awk '{ print $1 }' "$task/schedstat" 2>/dev/null || echo 0)"; done; }
thread_ns_delta() { awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { s += $2 - a[$1] } END { printf "%d", s }' "$1" "$2"; }
list() { local IFS=,; echo "$*"; }
