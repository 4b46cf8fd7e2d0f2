#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every query of deploy/grafana/port_exporter.json returns data against a real Prometheus
# scraping a real port_exporter, with the dashboard's variables substituted.
# The watched ports are real listeners: the Prometheus server's own port (expect: absent,
# so port_unexpected_listeners is 1 and "Who listens" shows prometheus) and the exporter's
# port (expect: present, allowed: port_exporter). Prometheus's scrapes and our queries make
# the connections.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${PORT_EXPORTER:?PORT_EXPORTER must be the path of the built port_exporter}"
for tool in prometheus node curl ss; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
show_logs() {
  echo "--- exporter log"; tail -n 30 "$work/exporter.log" || true
  echo "--- prometheus log"; tail -n 30 "$work/prometheus.log" || true
}

exporter_port=$(free_port)
prom_port=$(free_port "$exporter_port")
instance=127.0.0.1:$exporter_port
prom=http://127.0.0.1:$prom_port

cat >"$work/port_exporter.yml" <<EOF
interval: 1s
namespaces: host
ports:
  - port: $prom_port
    protocols: [tcp]
    expect: absent
    description: "test: the Prometheus server of dashboard.test.sh listens here"
  - port: $exporter_port
    protocols: [tcp]
    expect: present
    description: "test: the exporter itself"
    allowed_processes: [port_exporter]
EOF
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: port_exporter
    static_configs:
      - targets: ['$instance']
EOF

"$PORT_EXPORTER" --config.file="$work/port_exporter.yml" \
  --web.listen-address="$instance" >"$work/exporter.log" 2>&1 &
pids+=($!)
wait_for 15 "the exporter's /-/ready" curl -fsS "http://$instance/-/ready" || { show_logs; exit 1; }

prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
wait_for 30 "Prometheus /-/ready" curl -fsS "$prom/-/ready" || { show_logs; exit 1; }

# Enough samples for rate(...[1m]) and for the listener on the Prometheus port to be seen.
samples_ready() {
  curl -fsS "$prom/api/v1/query" \
    --data-urlencode "query=count_over_time(up{job=\"port_exporter\"}[1m]) >= 3 and on() port_listeners{port=\"$prom_port\"} == 1" |
    grep -q '"result":\[{'
}
wait_for 60 "3 scrapes with the Prometheus listener counted" samples_ready || { show_logs; exit 1; }

if node "$repo_root/tests/deploy/dashboard-check.js" "$repo_root/deploy/grafana/port_exporter.json" \
     "$prom" port_exporter "$instance" "$prom_port"; then
  echo "dashboard: all checks passed"
else
  show_logs
  echo "dashboard: FAILED"
  exit 1
fi
