#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deploy/systemd/port_exporter.service passes `systemd-analyze verify` (with ExecStart
# pointed at the built binary: verify needs it to exist), keeps the hardening docs/deploy.md
# promises, and scores "OK" or better in `systemd-analyze security`.
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
unit=$repo_root/deploy/systemd/port_exporter.service
: "${PORT_EXPORTER:?PORT_EXPORTER must be the path of the built port_exporter}"
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

sed "s#^ExecStart=/usr/local/bin/port_exporter#ExecStart=$PORT_EXPORTER#" "$unit" \
  >"$work/port_exporter.service"
grep -q "^ExecStart=$PORT_EXPORTER " "$work/port_exporter.service" ||
  bad "ExecStart is not /usr/local/bin/port_exporter: the rewrite did not apply"

# verify prints problems on stderr and may still exit 0: any output is a failure.
if systemd-analyze verify "$work/port_exporter.service" >"$work/verify.txt" 2>&1 &&
   [ ! -s "$work/verify.txt" ]; then
  echo "ok   systemd-analyze verify"
else
  cat "$work/verify.txt"
  bad "systemd-analyze verify"
fi

# The settings the docs and the capability table rely on, exactly.
# shellcheck disable=SC2016  # $MAINPID is literal unit-file text
for setting in \
  'DynamicUser=yes' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
  'PrivateTmp=yes' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
  'ProtectKernelLogs=yes' 'ProtectControlGroups=yes' 'Restart=on-failure' \
  'RestrictAddressFamilies=AF_NETLINK AF_INET AF_INET6 AF_UNIX' \
  'CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH' \
  'AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'ProtectProc=default' 'ProcSubset=all'; do
  if grep -qxF "$setting" "$unit"; then echo "ok   $setting"; else bad "missing: $setting"; fi
done
grep -q -- '--config.file=/etc/port_exporter/port_exporter.yml' "$unit" ||
  bad "ExecStart does not read /etc/port_exporter/port_exporter.yml"

# Offline scoring needs no running systemd. 0 = fully locked down, 10 = unprotected.
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  score=$(systemd-analyze security --offline=yes "$work/port_exporter.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
  echo "systemd-analyze security: exposure $score"
  case "${score#* }" in
    OK|SAFE) ;;
    *) bad "exposure level '$score' is worse than OK" ;;
  esac
fi

# Each shipped drop-in, next to the unit as /etc/systemd/system/port_exporter.service.d/
# would hold it: verify stays silent and the exposure stays OK. netns-netlink gives back
# setns into network namespaces only (CAP_SYS_ADMIN, RestrictNamespaces=net).
for dropin in "$repo_root"/deploy/systemd/port_exporter.service.d/*.conf; do
  name=$(basename "$dropin")
  rm -rf "$work/port_exporter.service.d"
  mkdir "$work/port_exporter.service.d"
  cp "$dropin" "$work/port_exporter.service.d/"
  if (cd "$work" && systemd-analyze verify "$work/port_exporter.service") >"$work/verify.txt" 2>&1 &&
     [ ! -s "$work/verify.txt" ]; then
    echo "ok   systemd-analyze verify with $name"
  else
    cat "$work/verify.txt"
    bad "systemd-analyze verify with $name"
  fi
  systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' || continue
  systemd-analyze security --offline=yes "$work/port_exporter.service" >"$work/security.txt" 2>/dev/null || true
  score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$work/security.txt")
  case "${score#* }" in
    OK|SAFE) echo "ok   exposure with $name: $score" ;;
    *) bad "exposure level with $name '$score' is worse than OK" ;;
  esac
  if [ "$name" = netns-netlink.conf ]; then
    allowed=$(grep -c '✗ RestrictNamespaces=~' "$work/security.txt" || true)
    if grep -q '✗ RestrictNamespaces=~net ' "$work/security.txt" && [ "$allowed" = 1 ] &&
       grep -q '✗ CapabilityBoundingSet=~CAP_SYS_ADMIN ' "$work/security.txt"; then
      echo "ok   $name: network namespaces only, and CAP_SYS_ADMIN"
    else
      grep -E 'RestrictNamespaces|CAP_SYS_ADMIN' "$work/security.txt"
      bad "$name: not exactly network namespaces and CAP_SYS_ADMIN"
    fi
  fi
done

[ "$fail" -eq 0 ] || { echo "systemd: FAILED"; exit 1; }
echo "systemd: all checks passed"
