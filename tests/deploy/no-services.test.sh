#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installing the test tools (scripts/install-deps.sh test, run by `make test` just before)
# left no service behind: Debian's prometheus package starts its server on :9090 as user
# prometheus unless policy-rc.d forbids it, and enables it for the next boot.
set -euo pipefail

fail=0
bad() { echo "FAIL: $*"; fail=1; }

listeners=$(ss -Htlnp 'sport = :9090')
if [ -z "$listeners" ]; then echo "ok   nothing listens on :9090"; else bad "a listener on :9090: $listeners"; fi

if getent passwd prometheus >/dev/null; then
  procs=$(pgrep -a -u prometheus || true)
  if [ -z "$procs" ]; then echo "ok   no process of user prometheus"; else bad "running: $procs"; fi
fi

if [ -d /run/systemd/system ]; then
  state=$(systemctl is-active prometheus.service 2>/dev/null || true)
  if [ "$state" != active ]; then echo "ok   prometheus.service is $state"; else bad "prometheus.service is active"; fi
fi

[ "$fail" -eq 0 ] || { echo "no-services: FAILED"; exit 1; }
echo "no-services: all checks passed"
