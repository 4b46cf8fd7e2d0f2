#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# config/port_exporter.schema.json agrees with the loader: the shipped configs and a config
# using every key pass both the schema (ajv-cli, npm, pinned in tests/deploy) and
# `port_exporter --check-config`; each bad config below is rejected by both (the schema
# with a reason, --check-config with exit code 2).
set -euo pipefail

repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$repo_root/tests/deploy
schema=$repo_root/config/port_exporter.schema.json
: "${PORT_EXPORTER:?PORT_EXPORTER must be the path of the built port_exporter}"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed" >&2; exit 77; }
done
# shellcheck source=../lib.sh
source "$repo_root/tests/lib.sh"
npm_ci_once "$here"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ajv() {
  "$here/node_modules/.bin/ajv" validate --spec=draft7 --strict=true --errors=text \
    -s "$schema" -d "$1" 2>&1
}

# Valid: both accept.
cat >"$work/every-key.yml" <<'EOF'
interval: 1m30s
namespaces: host
connection_states: [established, syn_recv, time_wait, close_wait]
ports:
  - port: 22
    protocols: [tcp]
    expect: present
    description: "SSH; only sshd may listen"
    allowed_processes: [sshd]
    allowed_executables: [/usr/sbin/sshd]
    allowed_uids: [0]
  - port: 2908
    namespaces: all
  - port: 53
    protocols: [udp, tcp]
    expect: any
    description: 404
EOF
for config in "$repo_root/config/port_exporter.yml" "$repo_root/deploy/kubernetes/port_exporter.yml" \
  "$work/every-key.yml"; do
  name=${config#"$repo_root/"}
  name=${name#"$work/"}
  if out=$(ajv "$config"); then echo "ok   schema accepts $name"; else bad "schema rejects $name: $out"; fi
  if "$PORT_EXPORTER" --check-config --config.file="$config" >/dev/null 2>"$work/err"; then
    echo "ok   --check-config accepts $name"
  else
    bad "--check-config rejects $name: $(cat "$work/err")"
  fi
done

# The example's first line points editors (yaml-language-server) at the schema.
head -n 1 "$repo_root/config/port_exporter.yml" |
  grep -qx '# yaml-language-server: $schema=https://raw.githubusercontent.com/port-exporter/port_exporter/main/config/port_exporter.schema.json' ||
  bad "config/port_exporter.yml does not start with the yaml-language-server schema line"

# Invalid: name|YAML (\n for newlines). Both must refuse each one.
cases=(
  'unknown top-level key|colour: red\nports:\n  - port: 2908\n'
  'unknown port key|ports:\n  - port: 22\n    colour: red\n'
  'port above 65535|ports:\n  - port: 70000\n'
  'port 0|ports:\n  - port: 0\n'
  'port as a string|ports:\n  - port: "22"\n'
  'port entry not a map|ports: [2908]\n'
  'entry without port|ports:\n  - protocols: [tcp]\n'
  'missing ports|interval: 15s\n'
  'empty ports|ports: []\n'
  'unknown protocol|ports:\n  - port: 22\n    protocols: [sctp]\n'
  'empty protocols|ports:\n  - port: 22\n    protocols: []\n'
  'duplicate protocol|ports:\n  - port: 22\n    protocols: [tcp, tcp]\n'
  'protocols as a string|ports:\n  - port: 22\n    protocols: tcp\n'
  'unknown expect|ports:\n  - port: 22\n    expect: maybe\n'
  'interval without unit|interval: 15\nports:\n  - port: 22\n'
  'fractional interval|interval: 1.5s\nports:\n  - port: 22\n'
  'interval units out of order|interval: 30s1m\nports:\n  - port: 22\n'
  'unknown namespaces|namespaces: sometimes\nports:\n  - port: 22\n'
  'unknown connection state|connection_states: [listen]\nports:\n  - port: 22\n'
  'empty connection_states|connection_states: []\nports:\n  - port: 22\n'
  'duplicate connection state|connection_states: [close, close]\nports:\n  - port: 22\n'
  'process name over 15 characters|ports:\n  - port: 53\n    expect: present\n    allowed_processes: [systemd-resolved]\n'
  'allowed_processes without expect present|ports:\n  - port: 22\n    allowed_processes: [sshd]\n'
  'null port|ports:\n  - port:\n'
  'unknown port namespaces|ports:\n  - port: 22\n    namespaces: some\n'
  'relative executable|ports:\n  - port: 22\n    expect: present\n    allowed_executables: [sshd]\n'
  'allowed_executables without expect present|ports:\n  - port: 22\n    allowed_executables: [/usr/sbin/sshd]\n'
  'uid as a name|ports:\n  - port: 22\n    expect: present\n    allowed_uids: [root]\n'
  'negative uid|ports:\n  - port: 22\n    expect: present\n    allowed_uids: [-1]\n'
  'uid (uid_t)-1|ports:\n  - port: 22\n    expect: present\n    allowed_uids: [4294967295]\n'
  'allowed_uids without expect present|ports:\n  - port: 22\n    allowed_uids: [0]\n'
  'control character in description|ports:\n  - port: 22\n    description: "a\\x1bb"\n'
  "description over 1024 bytes|ports:\n  - port: 22\n    description: $(printf 'x%.0s' {1..1025})\n"
)
for entry in "${cases[@]}"; do
  name=${entry%%|*}
  printf '%b' "${entry#*|}" >"$work/bad.yml"
  if out=$(ajv "$work/bad.yml"); then
    bad "schema accepts: $name"
  else
    reason=$(grep -v 'invalid$' <<<"$out" | head -n 1)
    set +e
    "$PORT_EXPORTER" --check-config --config.file="$work/bad.yml" >/dev/null 2>"$work/err"
    code=$?
    set -e
    first=$(head -n 1 "$work/err" | sed "s#$work/##")
    # The same place: ajv's "data/ports/0/port" is the loader's "ports[0].port"; the
    # loader's key path starts with the schema's (which may stop at the parent object).
    schema_path=$(sed -e 's/^data//' -e 's#/\([0-9][0-9]*\)#[\1]#g' -e 's#/#.#g' -e 's/^\.//' \
      <<<"${reason%% *}")
    check_path=$(cut -d: -f4 <<<"$first" | sed 's/^ //')
    if [ "$code" -ne 2 ]; then
      bad "--check-config exits $code (want 2) for: $name"
    elif [[ "$check_path" != "$schema_path"* ]]; then
      bad "$name: the schema points at '$schema_path', --check-config at '$check_path'"
    else
      echo "ok   both refuse $name at '${check_path:-(top)}': schema: $reason; check-config: $first"
    fi
  fi
done
echo "${#cases[@]} invalid configs checked"

[ "$fail" -eq 0 ] || { echo "schema: FAILED"; exit 1; }
echo "schema: all checks passed"
