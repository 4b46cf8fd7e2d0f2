#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How long a first `make run` takes on a clean Debian 12, up to a served /metrics, and where
# the time goes (apt, civetweb, CMake configure, compile). A fresh clone of HEAD runs
# `make run` in a container of the debootstrap base (scripts/build-image.sh --base-only):
# nothing from this machine's caches (apt, ~/.cache/port_exporter, ccache, build dirs).
# Usage: scripts/time-fresh-run.sh [MAKE_VARS...]   e.g. JOBS=2   (root; podman, debootstrap)
#   REV=<commit> measures that commit instead of HEAD (before/after comparisons).
# Prints the phases, the total and the load average before and after: other work on the
# machine changes the numbers.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
base_image=${BASE_IMAGE:-localhost/debian-bookworm-minbase:latest}
# shellcheck source=tests/lib.sh
source "$repo_root/tests/lib.sh"
"$repo_root/scripts/build-image.sh" --base-only

work=$(mktemp -d /var/tmp/port_exporter-fresh-run.XXXXXX)
container=port-exporter-fresh-run-$$
cleanup() {
  podman_cmd rm -f -t 0 "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git clone --quiet "$repo_root" "$work/src"
git -C "$work/src" checkout --quiet "${REV:-HEAD}"
# shellcheck disable=SC2119  # no port to leave out
port=$(free_port)

# Each output line of `make run` gets a timestamp (seconds since the epoch, the host's clock).
# shellcheck disable=SC2016  # expanded by the container's bash
inner='apt-get update -qq && apt-get install -y -qq make >/dev/null &&
  echo "T0 $(date +%s.%N)" && make run "$@" 2>&1 |
  while IFS= read -r line; do printf "%s %s\n" "$(date +%s.%N)" "$line"; done'
echo "load before: $(cut -d" " -f1-3 /proc/loadavg)"
podman_cmd run -d --name "$container" --privileged --network host \
  --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 -v "$work/src:/src" -w /src \
  "$base_image" bash -c "$inner" bash "ARGS=--web.listen-address=127.0.0.1:$port" "$@" >/dev/null

# /metrics answers: the end of the measurement (the container's own clock is this one).
deadline=$((SECONDS + 1200))
until curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || { podman_cmd logs "$container" | tail -n 30; exit 1; }
  if [ "$(podman_cmd inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != true ]; then
    echo "make run ended:"
    podman_cmd logs "$container" | tail -n 30
    exit 1
  fi
  sleep 0.2
done
served=$(date +%s.%N)
echo "load after:  $(cut -d" " -f1-3 /proc/loadavg)"
podman_cmd logs "$container" >"$work/log" 2>&1

# The first line matching each pattern marks the start of a phase.
awk -v served="$served" '
  function mark(name) { if (!(name in at)) { at[name] = $1; order[n++] = name } }
  $1 == "T0" { t0 = $2; next }
  /install-deps\.sh build$/   { mark("apt-get (update, install)") }
  / build-civetweb: building/ { mark("civetweb (apt-get source, build)") }
  / cmake -S \. -B /         { mark("cmake configure") }
  / cmake --build /          { mark("compile + link") }
  /\/port_exporter /         { mark("start until /metrics") }
  END {
    if (!t0) { print "no T0 line: the container did not start make run"; exit 1 }
    for (i = 0; i < n; i++) {
      end = (i + 1 < n) ? at[order[i + 1]] : served
      printf "%-34s %6.1f s\n", order[i], end - at[order[i]]
    }
    printf "%-34s %6.1f s\n", "total (make run until /metrics)", served - t0
  }' "$work/log"
