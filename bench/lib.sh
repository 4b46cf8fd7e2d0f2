# SPDX-License-Identifier: Apache-2.0
# Shared by the bench scripts: socket_holder processes started and stopped. The caller sets
# $holder (the socket_holder binary), $work (a temporary directory) and a `pids` array that
# its cleanup kills.

# start_holder ARGS...: a socket_holder in the background, waited for (at most 120 s) until
# it prints its "ready" line. Sets holder_pid and ready_line.
start_holder() {
  holders_started=$((${holders_started:-0} + 1))
  local file=$work/holder.$holders_started.out tries=0
  "$holder" "$@" >"$file" &
  holder_pid=$!
  pids+=("$holder_pid")
  until grep -q '^ready' "$file" 2>/dev/null; do
    kill -0 "$holder_pid" 2>/dev/null ||
      { echo "$(basename "$0"): socket_holder $* failed" >&2; exit 1; }
    tries=$((tries + 1))
    [ $tries -lt 2400 ] ||
      { echo "$(basename "$0"): socket_holder $* not ready after 120 s" >&2; exit 1; }
    sleep 0.05
  done
  ready_line=$(grep -m1 '^ready' "$file")
}

# stop_holder PID: ends a process started by the script (SIGTERM, then waits for it) and
# drops it from `pids`.
stop_holder() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local kept=() pid
  for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  pids=("${kept[@]}")
}
