#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The config loader on the worst inputs of issue 9 and at the edge of each budget:
# `port_exporter --check-config` must answer (refuse, or accept the largest real config)
# within 32 MiB peak RSS and 1 s of CPU each, measured with /usr/bin/time. CPU, not wall
# time: the test machine is shared.
set -euo pipefail
: "${PORT_EXPORTER:?}"
[ -x /usr/bin/time ] || { echo "/usr/bin/time is not installed (Debian package time)" >&2; exit 1; }

dir=$(mktemp -d /tmp/loader_budget.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# repeat TEXT N: TEXT N times, no separator.
repeat() { awk -v t="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'; }

printf ',\n' >"$dir/comma.yml"
{ # 200,000 names aliased by 999 ports (the issue's 6 GB file)
  printf 'ports:\n  - port: 1\n    expect: present\n    allowed_processes: &n ['
  repeat 'p,' 199999
  printf 'p]\n'
  for p in $(seq 2 999); do printf '  - {port: %d, expect: present, allowed_processes: *n}\n' "$p"; done
} >"$dir/alias_amplification.yml"
{ # a 900 KB description shared by 100 ports (the issue's 180 MB exposition)
  printf 'ports:\n  - port: 1\n    description: &d "'
  repeat x 900000
  printf '"\n'
  for p in $(seq 2 100); do printf '  - {port: %d, description: *d}\n' "$p"; done
} >"$dir/shared_description.yml"
{ printf '[' && repeat 'a,' 500000 && printf 'a]\n'; } >"$dir/dense_flow_1mb.yml"
{ printf '[' && repeat 'a,' 39990 && printf 'a]\n'; } >"$dir/dense_flow_at_budget.yml"
{ printf '[' && repeat 'a: ' 39990 && printf ']\n'; } >"$dir/keys_at_budget.yml"
{ printf 'x: [' && repeat "$(repeat a 1000)," 1000 && printf ']\n'; } >"$dir/long_scalars_1mb.yml"
{ repeat '[' 20000 && repeat ']' 19990 && printf '\n'; } >"$dir/deep.yml"
{ # the largest realistic config: 1000 ports, ten processes each (accepted)
  printf 'interval: 15s\nports:\n'
  for p in $(seq 1 1000); do
    printf '  - port: %d\n    protocols: [tcp, udp]\n    expect: present\n' "$p"
    printf '    description: "HTTP, the main site: nginx - front"\n'
    printf '    allowed_processes: [nginx, haproxy, envoy, sshd, node, a1, a2, a3, a4, a5]\n'
  done
} >"$dir/largest_valid.yml"

failed=0
for file in "$dir"/*.yml; do
  name=$(basename "$file" .yml)
  status=0
  /usr/bin/time -o "$dir/time" -f '%M %U %S' "$PORT_EXPORTER" --check-config \
    --config.file="$file" >"$dir/out" 2>"$dir/err" || status=$?
  read -r rss user sys < <(tail -n 1 "$dir/time")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  want=2
  [ "$name" = largest_valid ] && want=0
  printf '%-24s exit %d, peak RSS %6d KB, CPU %ss: %s\n' "$name" "$status" "$rss" "$cpu" \
    "$(head -c 100 "$dir/err" "$dir/out" | tr '\n' ' ' | sed 's/==> [^<]*<==//g')"
  if [ "$status" -ne "$want" ]; then
    echo "FAIL: $name: exit $status, want $want" >&2
    failed=1
  fi
  if [ "$rss" -ge 32768 ] || awk -v c="$cpu" 'BEGIN { exit !(c >= 1.0) }'; then
    echo "FAIL: $name: over the budget (32 MiB, 1 s of CPU)" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "loader budget: every input within 32 MiB and 1 s of CPU"
exit "$failed"
