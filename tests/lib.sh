# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the scripted tests (sourced, not run): free loopback ports, polling
# with a deadline, stopping a process the test started, the npm packages of tests/deploy.

# A loopback port nothing uses (TCP or UDP, any state), not among the arguments.
free_port() {
  local port _
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 30000))
    case " $* " in *" $port "*) continue ;; esac
    [ -z "$(ss -Htuan "( sport = :$port or dport = :$port )")" ] && { echo "$port"; return; }
  done
  echo "no free port found" >&2
  return 1
}

# wait_for SECONDS WHAT CMD...: polls CMD until it succeeds or SECONDS pass.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "FAIL: timed out after ${seconds}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# stop PID [SECONDS]: SIGTERM, then SIGKILL if it is still there after SECONDS (default 5),
# then reaped. Nothing for an empty or finished PID: safe in cleanup traps.
stop() {
  local pid=$1 tenths=$((${2:-5} * 10)) i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < tenths; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# npm_ci_once DIR: installs DIR's npm packages, pinned by its package-lock.json, on the
# first run (a fresh clone) and whenever the lock file is newer than the install.
npm_ci_once() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# podman_cmd: podman with the flags every test and script uses.
# shellcheck source=../scripts/podman.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/podman.sh"
