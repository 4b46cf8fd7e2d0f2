#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark of issue #6: port_exporter against ss and /proc/net, at N = 0, 10k and 100k
# unrelated established TCP sockets on loopback (plus 300 sockets on a watched port), in
# one run. Prints one table, writes bench/out/results.csv, bench/out/table.md and the curve
# bench/out/benchmarks.png, and removes every socket and process it made, even on failure.
#
#   bench/run.sh BUILD_DIR     (make bench builds BUILD_DIR with the benchmarks and runs this)
#
# Environment knobs (defaults in brackets): BENCH_LEVELS ["0 10000 100000"], BENCH_REPS
# [9, repetitions of each in-process benchmark], BENCH_RUNS [11, runs of each timed command],
# BENCH_CPU_WINDOW [10, seconds of 1 s collections per level], BENCH_BG_WINDOW [45, seconds
# of the 15 s interval exporter at the largest level], BENCH_SLEEPERS [2000].
# Method and a real run: docs/benchmarks.md. Ends with bench/close_events.sh (the cost of
# the destroy-notification reader; BENCH_CLOSE_RATES, BENCH_CLOSE_WINDOW),
# bench/closed_attempts.sh (the eBPF probe; BENCH_PROBE_ROUNDS, _WINDOW, _RATE),
# bench/netns.sh, bench/first_attribution.sh (owner lookup of a new listener;
# BENCH_ATTRIBUTION_LEVELS, _ROUNDS) and bench/slowloris.sh.
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/bench/out
levels=(${BENCH_LEVELS:-0 10000 100000})
reps=${BENCH_REPS:-9}
runs=${BENCH_RUNS:-11}
cpu_window=${BENCH_CPU_WINDOW:-10}
bg_window=${BENCH_BG_WINDOW:-45}
sleepers=${BENCH_SLEEPERS:-2000}
per_holder=16000  # sockets per holder process: under the 20,000 fd hard limit
watched_sockets=300

exporter=$build/port_exporter
holder=$build/bench/socket_holder
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeit=$build/bench/timeit
collect=$build/bench/collect_bench
for tool in "$exporter" "$holder" "$timeit" "$collect"; do
  [ -x "$tool" ] || { echo "run.sh: $tool missing: build with -DPORT_EXPORTER_BUILD_BENCH=ON" >&2; exit 2; }
done
for tool in ss wrk gnuplot curl awk openssl htpasswd base64; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool missing (scripts/install-deps.sh bench)" >&2; exit 2; }
done

mkdir -p "$out"
work=$(mktemp -d /tmp/port_exporter_bench.XXXXXX)

# --- cleanup: every process this script started, whatever happens -----------------------
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }


# --- ports: watched ones outside the ephemeral range, so no client picks them ------------
port_free() {  # port_free FIRST LAST: nothing uses a port in FIRST..LAST (tcp or udp)
  [ -z "$(ss -Htuan "( sport >= :$1 and sport <= :$2 ) or ( dport >= :$1 and dport <= :$2 )")" ]
}
base=22908
until port_free $base $((base + 10)); do base=$((base + 11)); done
watched=$base           # the watched port: 300 sockets on it, and the port of every filter
web_port=$((base + 10)) # /metrics of the running exporter
ss_filter="( sport = :$watched or dport = :$watched )"
late_port=$((watched + 1))  # a listener owned by the newest process
late_filter="( sport = :$late_port or dport = :$late_port )"

# once.yml: the one watched port, tcp: the same work as the filtered `ss -tan`.
# once_default.yml: the same port with the default protocols (tcp and udp: 4 dumps).
# once_late.yml: the next port, whose listener belongs to the newest process.
# ten.1s.yml / ten.15s.yml: 10 watched ports, tcp and udp, at 1 s and 15 s.
printf 'interval: 15s\nports:\n  - port: %d\n    protocols: [tcp]\n' $watched >"$work/once.yml"
printf 'interval: 15s\nports:\n  - port: %d\n    protocols: [tcp]\n' $late_port >"$work/once_late.yml"
printf 'interval: 15s\nports:\n  - port: %d\n' $watched >"$work/once_default.yml"
for interval in 1s 15s; do
  {
    printf 'interval: %s\nports:\n' $interval
    for p in $(seq $watched $((watched + 9))); do printf '  - port: %d\n' "$p"; done
  } >"$work/ten.$interval.yml"
done

# --- results: R[measurement|N] = value ------------------------------------------------
declare -A R
rows=()   # measurement keys in table order
declare -A unit label
row() { rows+=("$1"); unit[$1]=$2; label[$1]=$3; }
row sockets       n   "TCP sockets on the host (ss -tan lines)"
row coll          ms  "ours: collection in-process (dump+owners+snapshot+exposition), 1 port tcp"
row coll_dump     ms  "  of which the kernel dump (NetlinkSource::dump)"
row coll_after    ms  "  of which our code after the dump (owners+snapshot, no exposition)"
row coll10        ms  "ours: collection in-process, 10 ports tcp+udp (one has a listener)"
row once          ms  "ours: port_exporter --once, 1 port tcp (process)"
row once_default  ms  "ours: port_exporter --once, 1 port tcp+udp (process)"
row ss_full       ms  "ss -tan > /dev/null (process)"
row ss_filtered   ms  "ss -tan '( sport = :P or dport = :P )' (process)"
row procfs        ms  "procfs: ProcfsSource::dump in-process (read+parse tcp,tcp6)"
row cat_procfs    ms  "cat /proc/net/tcp /proc/net/tcp6 > /dev/null (process)"
row once_late     ms  "ours: --once, 1 port tcp with a listener (owner walk of every fd)"
row ss_p_late     ms  "ss -tanp, same port and listener (process; -p walks every fd)"
row scrape_cpu    ms  "exposition text, 10 ports (render+serialize; once per collection)"
row scrape_render ms  "  of which render_metrics (ours)"
row scrape_ser    ms  "  of which serialize (prometheus-cpp TextSerializer)"
row scrape_p50    ms  "scrape latency p50, 10 ports, interval 15s (wrk -t1 -c1)"
row scrape_p99    ms  "scrape latency p99, 10 ports, interval 15s (wrk -t1 -c1)"
row scrape_p99_1s ms  "scrape latency p99, 10 ports, collecting every 1 s"
row rps           req/s "keep-alive throughput, 10 ports (wrk -t2 -c8)"
row rps1          req/s "keep-alive throughput, 1 port tcp+udp (wrk -t2 -c8)"
row tls_p50       ms  "scrape latency p50, 10 ports, TLS 1.3 + basic auth (wrk -t1 -c1)"
row tls_p99       ms  "scrape latency p99, 10 ports, TLS 1.3 + basic auth (wrk -t1 -c1)"
row tls_rps       req/s "keep-alive throughput, 10 ports, TLS 1.3 + basic auth (wrk -t2 -c8)"
row tls_share     x   "  TLS + basic auth throughput / plain throughput"
row rss           MiB "exporter VmRSS after the load, 10 ports"
row hwm           MiB "exporter VmHWM (peak RSS), 10 ports"
row cpu_per_coll  ms  "exporter CPU per collection, 10 ports (1 s interval, whole process)"
row bg15          %   "background CPU at interval 15s (derived: CPU per collection / 15 s)"
row bg15_window   %   "background CPU at interval 15s (measured over 3 collections, no refresh walk)"
row owner_hit     us  "owner lookup per collection, cache hit (no walk)"
row owner_steady  us  "owner lookup per collection, steady state (+1 scan of new processes in 40)"
row owner_walk    ms  "owner walk (new listener, stale link): every fd of every process"
row owner_walk2k  ms  "owner walk, +$sleepers processes"
row ss_p2k        ms  "ss -tanp filtered (walks /proc each run), +$sleepers processes"

# gb FILE NAME FIELD: a value from collect_bench's results file, in ms (or the counter).
gb() {
  awk -v name="$2" -v field="$3" '
    $1 == name {
      scale = ($4 == "ns") ? 1e-6 : ($4 == "us") ? 1e-3 : ($4 == "ms") ? 1 : 1e3
      if (field == "real") { v = $2 * scale }
      else if (field == "cpu") { v = $3 * scale }
      else for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == field) v = kv[2] }
    }
    END { if (v != "") printf "%.6g\n", v }' "$1"
}

time_cmd() {  # time_cmd COMMAND...: median wall ms of RUNS runs
  "$timeit" -n "$runs" -w 2 -- "$@" | awk '{print $1}'
}

# wrk's latency percentile line ("99%  1.23ms") in ms.
wrk_ms() {
  awk -v p="$2" '$1 == p {
    v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    printf "%.4f\n", (u == "us") ? v / 1000 : (u == "ms") ? v : (u == "s") ? v * 1000 : v / 60000 * 1e6
  }' "$1"
}

cpu_ns() {  # CPU time of every thread of a process, ns (schedstat: ns resolution)
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}

collections() {
  curl -sf "http://127.0.0.1:$web_port/metrics" |
    awk '$1 == "port_exporter_collections_total" {print $2}'
}

start_exporter() {  # start_exporter CONFIG [WEB_CONFIG]: on $web_port, waits until /-/ready
  local scheme=http ready_flags=()
  if [ -n "${2:-}" ]; then
    scheme=https ready_flags=(-k -u "bench:$bench_password")
  fi
  "$exporter" --config.file="$1" --web.listen-address="127.0.0.1:$web_port" \
    ${2:+--web.config.file="$2"} --log.level=warn 2>>"$work/exporter.log" &
  pids+=($!)
  exporter_pid=$!
  for _ in $(seq 100); do
    curl -sf "${ready_flags[@]}" "$scheme://127.0.0.1:$web_port/-/ready" >/dev/null && return 0
    sleep 0.05
  done
  echo "run.sh: exporter not ready; its log:" >&2
  cat "$work/exporter.log" >&2
  exit 1
}

vm_kib() { awk -v k="$2:" '$1 == k {print $2}' /proc/"$1"/status; }

# --- one level: every measurement at the sockets open now -----------------------------
measure() {
  local n=$1 results=$work/gb.$1
  R[sockets|$n]=$(ss -Htan | wc -l)
  log "N=$n: ${R[sockets|$n]} TCP sockets; in-process benchmarks"
  local gb_flags=(--benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true
                  --benchmark_min_time=0.1)
  "$collect" --config="$work/once.yml" --scrape-config="$work/ten.1s.yml" \
    --owners-config="$work/once_late.yml" --results="$results.main" "${gb_flags[@]}" \
    >"$work/gb.$n.log"
  "$collect" --config="$work/ten.1s.yml" --results="$results.ten" \
    --benchmark_filter='^collection/full$' "${gb_flags[@]}" >>"$work/gb.$n.log"
  R[coll|$n]=$(gb "$results.main" collection/full real)
  R[coll_dump|$n]=$(gb "$results.main" collection/netlink_dump real)
  R[coll_after|$n]=$(gb "$results.main" collection/after_dump real)
  R[coll10|$n]=$(gb "$results.ten" collection/full real)
  R[procfs|$n]=$(gb "$results.main" procfs/dump real)
  R[scrape_cpu|$n]=$(gb "$results.main" scrape/render_serialize real)
  R[scrape_render|$n]=$(gb "$results.main" scrape/render real)
  R[scrape_ser|$n]=$(gb "$results.main" scrape/serialize real)
  R[scrape_bytes|$n]=$(gb "$results.main" scrape/render_serialize bytes)
  R[scrape_series|$n]=$(gb "$results.main" scrape/render_serialize series)
  R[coll10_walks|$n]=$(gb "$results.ten" collection/full walks_per_collection)
  R[owner_hit|$n]=$(gb "$results.main" owners/cache_hit real | awk '{print $1 * 1000}')
  R[owner_hit_walks|$n]=$(gb "$results.main" owners/cache_hit walks)
  R[owner_steady|$n]=$(gb "$results.main" owners/steady real | awk '{print $1 * 1000}')
  R[refresh_every|$n]=$(gb "$results.main" owners/steady refresh_every)
  R[owner_walk|$n]=$(gb "$results.main" owners/walk real)

  log "N=$n: processes (ss, cat, --once), $runs runs each"
  R[once|$n]=$(time_cmd "$exporter" --once --config.file="$work/once.yml")
  R[once_default|$n]=$(time_cmd "$exporter" --once --config.file="$work/once_default.yml")
  R[ss_full|$n]=$(time_cmd ss -tan)
  R[ss_filtered|$n]=$(time_cmd ss -tan "$ss_filter")
  R[cat_procfs|$n]=$(time_cmd cat /proc/net/tcp /proc/net/tcp6)
  R[once_late|$n]=$(time_cmd "$exporter" --once --config.file="$work/once_late.yml")
  R[ss_p_late|$n]=$(time_cmd ss -tanp "$late_filter")

  log "N=$n: exporter, 10 ports, interval 1s: CPU over ${cpu_window}s, scrape latency"
  start_exporter "$work/ten.1s.yml"
  sleep 1
  local c0 t0 c1 t1
  c0=$(collections); t0=$(cpu_ns "$exporter_pid")
  sleep "$cpu_window"
  c1=$(collections); t1=$(cpu_ns "$exporter_pid")
  R[cpu_per_coll|$n]=$(awk -v t="$((t1 - t0))" -v c="$((c1 - c0))" 'BEGIN {printf "%.4f\n", t / 1e6 / c}')
  # The owner lookup's periodic refresh only scans new processes: its average cost is
  # owner_steady (µs), already inside the measured CPU per collection.
  R[bg15|$n]=$(awk -v ms="${R[cpu_per_coll|$n]}" 'BEGIN {printf "%.5f\n", ms / 15000 * 100}')
  wrk -t1 -c1 -d3s --latency "http://127.0.0.1:$web_port/metrics" >"$work/wrk1s.$n" 2>&1
  R[scrape_p99_1s|$n]=$(wrk_ms "$work/wrk1s.$n" 99%)
  stop_holder "$exporter_pid"

  log "N=$n: exporter, 10 ports, interval 15s: scrape latency, throughput, memory"
  start_exporter "$work/ten.15s.yml"
  if [ "$n" = "${levels[-1]}" ]; then
    log "N=$n: background CPU over ${bg_window}s first"
    sleep 1
    t0=$(cpu_ns "$exporter_pid"); c0=$(collections)
    sleep "$bg_window"
    t1=$(cpu_ns "$exporter_pid"); c1=$(collections)
    R[bg15_window|$n]=$(awk -v t="$((t1 - t0))" -v w="$bg_window" 'BEGIN {printf "%.5f\n", t / 1e9 / w * 100}')
    R[bg15_collections|$n]=$((c1 - c0))
  fi
  wrk -t1 -c1 -d3s --latency "http://127.0.0.1:$web_port/metrics" >"$work/wrk1.$n" 2>&1
  R[scrape_p50|$n]=$(wrk_ms "$work/wrk1.$n" 50%)
  R[scrape_p99|$n]=$(wrk_ms "$work/wrk1.$n" 99%)
  wrk -t2 -c8 -d5s --latency "http://127.0.0.1:$web_port/metrics" >"$work/wrk8.$n" 2>&1
  R[rps|$n]=$(awk '$1 == "Requests/sec:" {printf "%.0f\n", $2}' "$work/wrk8.$n")
  R[rss|$n]=$(awk -v k="$(vm_kib "$exporter_pid" VmRSS)" 'BEGIN {printf "%.2f\n", k / 1024}')
  R[hwm|$n]=$(awk -v k="$(vm_kib "$exporter_pid" VmHWM)" 'BEGIN {printf "%.2f\n", k / 1024}')
  stop_holder "$exporter_pid"

  log "N=$n: exporter, 10 ports, TLS 1.3 + basic auth (bcrypt cost 10, cached): latency, throughput"
  start_exporter "$work/ten.15s.yml" "$work/web.yml"
  local auth=(-H "Authorization: Basic $(printf 'bench:%s' "$bench_password" | base64)")
  wrk -t1 -c1 -d3s --latency "${auth[@]}" "https://127.0.0.1:$web_port/metrics" >"$work/wrk1tls.$n" 2>&1
  R[tls_p50|$n]=$(wrk_ms "$work/wrk1tls.$n" 50%)
  R[tls_p99|$n]=$(wrk_ms "$work/wrk1tls.$n" 99%)
  wrk -t2 -c8 -d5s --latency "${auth[@]}" "https://127.0.0.1:$web_port/metrics" >"$work/wrk8tls.$n" 2>&1
  R[tls_rps|$n]=$(awk '$1 == "Requests/sec:" {printf "%.0f\n", $2}' "$work/wrk8tls.$n")
  R[tls_share|$n]=$(awk -v t="${R[tls_rps|$n]}" -v p="${R[rps|$n]}" 'BEGIN {printf "%.2f\n", t / p}')
  stop_holder "$exporter_pid"

  log "N=$n: exporter, 1 port tcp+udp: throughput"
  start_exporter "$work/once_default.yml"
  wrk -t2 -c8 -d5s --latency "http://127.0.0.1:$web_port/metrics" >"$work/wrk8_1.$n" 2>&1
  R[rps1|$n]=$(awk '$1 == "Requests/sec:" {printf "%.0f\n", $2}' "$work/wrk8_1.$n")
  stop_holder "$exporter_pid"

  log "N=$n: $sleepers sleeping processes; owner walk and ss -p"
  start_holder sleepers "$sleepers" 4
  local sleepers_pid=$holder_pid
  "$collect" --config="$work/once.yml" --results="$results.procs" \
    --owners-config="$work/once_late.yml" --benchmark_filter='^owners/walk$' "${gb_flags[@]}" \
    >>"$work/gb.$n.log"
  R[owner_walk2k|$n]=$(gb "$results.procs" owners/walk real)
  R[processes2k|$n]=$(gb "$results.procs" owners/walk processes)
  R[ss_p2k|$n]=$(time_cmd ss -tanp "$ss_filter")
  stop_holder "$sleepers_pid"
}

# --- TLS + basic auth: a self-signed certificate and a cost-10 bcrypt hash ---------------
bench_password=bench-secret
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
cat >"$work/web.yml" <<EOF
tls_server_config: {cert_file: tls.crt, key_file: tls.key}
basic_auth_users:
  bench: $(htpasswd -nbBC 10 bench "$bench_password" | cut -d: -f2)
EOF

# --- the run ----------------------------------------------------------------------------
log "watched port $watched (10-port configs: $watched..$((watched + 9))), web port $web_port"
# The watched port: 300 established sockets, its listener closed (nothing listens on it, as
# on a port watched with expect: absent): the exporter counts, with no owner to look up.
start_holder connections 127.0.0.2 $watched_sockets $watched
held=0
next_address=10
late_pid=""
for n in "${levels[@]}"; do
  while [ $held -lt "$n" ]; do
    count=$(( n - held < per_holder ? n - held : per_holder ))
    count=$(( count / 2 * 2 ))
    [ $count -gt 0 ] || break
    start_holder tcp "127.0.0.$next_address" $count
    held=$((held + count))
    next_address=$((next_address + 1))
  done
  # A listener on the next watched port, in a process started after the holders: its owner
  # lookup (a new listener) walks every fd of every process, theirs included.
  [ -z "$late_pid" ] || stop_holder "$late_pid"
  start_holder tcp 127.0.0.3 0 $late_port
  late_pid=$holder_pid
  log "N=$n: $held unrelated sockets held"
  measure "$n"
done

# --- report -----------------------------------------------------------------------------
last=${levels[-1]}
fmt() {  # a number for the table: 3 significant digits, or "-"
  [ -n "${1:-}" ] || { echo "-"; return; }
  awk -v v="$1" 'BEGIN {
    a = v < 0 ? -v : v
    if (a == 0) print "0"; else if (a >= 1000) printf "%.0f\n", v
    else if (a >= 100) printf "%.1f\n", v; else if (a >= 1) printf "%.2f\n", v
    else if (a >= 0.01) printf "%.3f\n", v; else printf "%.2g\n", v }'
}
ratio() {  # ratio A B
  [ -n "${1:-}" ] && [ -n "${2:-}" ] || { echo "-"; return; }
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "-" }'
}
time_rows=" coll coll_dump coll10 once once_default ss_full ss_filtered procfs cat_procfs once_late ss_p_late "

csv=$out/results.csv
md=$out/table.md
{
  printf 'measurement,unit'
  for n in "${levels[@]}"; do printf ',N=%s' "$n"; done
  printf ',ratio_vs_ss_tan_at_N=%s,ratio_vs_filtered_ss_at_N=%s\n' "$last" "$last"
} >"$csv"
{
  printf '| measurement | unit |'
  for n in "${levels[@]}"; do printf ' N=%s |' "$n"; done
  printf ' ÷ ss -tan (N=%s) | ÷ filtered ss (N=%s) |\n|---|---|' "$last" "$last"
  for _ in "${levels[@]}"; do printf -- '---:|'; done
  printf -- '---:|---:|\n'
} >"$md"
for key in "${rows[@]}"; do
  r_full=-; r_filtered=-
  if [[ $time_rows == *" $key "* ]]; then
    r_full=$(ratio "${R[$key|$last]:-}" "${R[ss_full|$last]:-}")
    r_filtered=$(ratio "${R[$key|$last]:-}" "${R[ss_filtered|$last]:-}")
  fi
  {
    printf '"%s",%s' "${label[$key]}" "${unit[$key]}"
    for n in "${levels[@]}"; do printf ',%s' "${R[$key|$n]:-}"; done
    printf ',%s,%s\n' "${r_full/-/}" "${r_filtered/-/}"
  } >>"$csv"
  {
    printf '| %s | %s |' "${label[$key]}" "${unit[$key]}"
    for n in "${levels[@]}"; do printf ' %s |' "$(fmt "${R[$key|$n]:-}")"; done
    printf ' %s | %s |\n' "$r_full" "$r_filtered"
  } >>"$md"
done

# The curve: collection time against unrelated sockets.
{
  echo "# N ours_inprocess ours_once ss_full ss_filtered procfs_inprocess"
  for n in "${levels[@]}"; do
    echo "$n ${R[coll|$n]} ${R[once|$n]} ${R[ss_full|$n]} ${R[ss_filtered|$n]} ${R[procfs|$n]}"
  done
} >"$out/curve.dat"
gnuplot <<EOF
set terminal pngcairo noenhanced size 900,560 font "DejaVu Sans,10"
set output "$out/benchmarks.png"
set title "Collection time vs unrelated TCP sockets on the host (+$watched_sockets on the watched port)"
set xlabel "unrelated established TCP sockets (N)"
set ylabel "time (ms, median), log scale"
set logscale y
set key left top
set grid
set format x "%.0s%c"
plot "$out/curve.dat" using 1:4 with linespoints lw 2 lc rgb "#7b2cbf" title "ss -tan (full dump, process)", \
     "" using 1:6 with linespoints lw 2 lc rgb "#2a9d8f" title "/proc/net/tcp{,6} parsed (ProcfsSource, in-process)", \
     "" using 1:5 with linespoints lw 2 lc rgb "#4895ef" title "ss -tan '( sport = :P or dport = :P )' (process)", \
     "" using 1:3 with linespoints lw 2 lc rgb "#e76f51" title "port_exporter --once (process)", \
     "" using 1:2 with linespoints lw 2 lc rgb "#d62828" title "port_exporter collection (in-process)"
EOF

# --- targets -----------------------------------------------------------------------------
max_of() { local key=$1 m=""; for n in "${levels[@]}"; do m=$(awk -v a="$m" -v b="${R[$key|$n]:-0}" 'BEGIN {print (a == "" || b > a) ? b : a}'); done; echo "$m"; }
min_of() { local key=$1 m=""; for n in "${levels[@]}"; do m=$(awk -v a="$m" -v b="${R[$key|$n]:-0}" 'BEGIN {print (a == "" || b < a) ? b : a}'); done; echo "$m"; }
check() {  # check DESCRIPTION VALUE OP LIMIT
  local ok
  ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print (op == "<=" ? v <= l : v >= l) ? "PASS" : "FAIL" }')
  printf '%s  %s: %s (target %s %s)\n' "$ok" "$1" "$2" "$3" "$4"
}
{
  check "--once at N=$last vs ss -tan" "$(ratio "${R[once|$last]}" "${R[ss_full|$last]}")" "<=" 0.1
  check "--once at N=$last vs filtered ss" "$(ratio "${R[once|$last]}" "${R[ss_filtered|$last]}")" "<=" 1.2
  check "scrape p99, 10 ports, worst level (ms)" "$(max_of scrape_p99)" "<=" 2
  check "keep-alive throughput, 10 ports, worst level (req/s)" "$(min_of rps)" ">=" 10000
  check "keep-alive throughput, 1 port, worst level (req/s)" "$(min_of rps1)" ">=" 10000
  check "scrape p99 over TLS + basic auth, worst level (ms)" "$(max_of tls_p99)" "<=" 2
  check "TLS + basic auth keep-alive throughput / plain, worst level" "$(min_of tls_share)" ">=" 0.5
  check "RSS (VmHWM), worst level (MiB)" "$(max_of hwm)" "<=" 10
  check "background CPU at 15s, N=$last, derived (% of a core)" "${R[bg15|$last]}" "<=" 0.1
  check "background CPU at 15s, N=$last, measured over ${bg_window}s (% of a core)" "${R[bg15_window|$last]}" "<=" 0.1
  check "owner walks in cache-hit resolves, N=$last" "${R[owner_hit_walks|$last]}" "<=" 0
  check "owner walks per collection with a listener, N=$last (1 refresh in ${R[refresh_every|$last]:-40})" "${R[coll10_walks|$last]}" "<=" 0.025
  check "owner walk with $sleepers extra processes (${R[processes2k|${levels[0]}]:-?} processes at N=${levels[0]}, ms)" "${R[owner_walk2k|${levels[0]}]}" "<=" 100
} >"$out/targets.txt"

{
  echo
  echo "port_exporter benchmark — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Linux $(uname -r)"
  echo "watched port $watched; medians of $reps repetitions (in-process) / $runs runs (processes)"
  echo
  cat "$md"
  echo
  cat "$out/targets.txt"
  echo
  echo "written: $csv, $md, $out/benchmarks.png"
} | tee "$out/summary.txt"

# The destroy-notification reader's cost (issue 11): its own script, also runnable alone.
log "destroy notifications: exporter CPU while unrelated ports close sockets"
"$repo/bench/close_events.sh" "$build"

# The closed-attempts eBPF probe's cost (issue 14): its own script, also runnable alone.
log "closed-attempts probe: dropped-packet and loopback throughput with and without it"
"$repo/bench/closed_attempts.sh" "$build"

# The namespace dimension (issue 15): its own script, also runnable alone.
log "network namespaces: dump cost per namespace, collection time with namespaces: all"
"$repo/bench/netns.sh" "$build"

# First attribution of a new listener against ss -tlnp (issue 15): its own script too.
log "first attribution: owner lookup of a new listener at 10k and 100k fds, against ss -tlnp"
"$repo/bench/first_attribution.sh" "$build"

# Idle and slow-header clients against the HTTP edge (issue 13): its own script too.
log "slowloris: scrape and health latency under idle and slow-header connections"
"$repo/bench/slowloris.sh" "$build"
