#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end: --web.config.file with real clients. Certificates and bcrypt hashes are made
# here (openssl, htpasswd); curl and `openssl s_client` check TLS 1.2/1.3, min_version,
# plain HTTP refused on the TLS port, client certificates (good, missing, wrong CA), basic
# auth (right, wrong password, unknown user, no header: the same 401), gzip, a reload that
# swaps a password and the certificate, a bad reload that keeps the running config, and
# serving after 1,000 failed logins. A real Prometheus scrapes over TLS + basic auth and
# over [::1]. Also: `:PORT` serves IPv4 and IPv6; a busy or bad address is refused by name.
set -euo pipefail

exporter=${PORT_EXPORTER:?PORT_EXPORTER must name the built port_exporter binary}
repo_root=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib.sh
source "$repo_root/tests/lib.sh"
for tool in openssl curl htpasswd prometheus python3 gzip; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps.sh)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/port_exporter-web.XXXXXX)
pids=()
cleanup() {
  local rc=$? pid
  if [ "$rc" -ne 0 ]; then
    for log in "$tmp"/*.log; do
      [ -f "$log" ] && { echo "--- last lines of $log" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
cd "$tmp"
# Started as root, the exporter serves as nobody (privilege separation): it must read the
# web config and its files as that user, on every reload too.
chmod 0755 "$tmp"
umask 0022

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() {  # expect_eq WHAT WANT GOT
  [ "$2" = "$3" ] || fail "$1: want '$2', got '$3'"
  echo "ok: $1 = ${3%%$'\n'*}"
}

# --- certificates: a CA, a server certificate (and a second one for the swap), a client
# certificate from the CA and one from another CA.
openssl_quiet() { openssl "$@" 2>/dev/null; }
make_ca() {  # make_ca NAME
  openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$1" -keyout "$1.key" -out "$1.crt"
}
make_cert() {  # make_cert NAME CA SAN
  openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.csr"
  printf 'subjectAltName=%s\n' "$3" >"$1.ext"
  openssl_quiet x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt"
}
make_ca ca
make_ca other-ca
make_cert server ca "DNS:localhost,IP:127.0.0.1,IP:::1"
make_cert server2 ca "DNS:localhost,IP:127.0.0.1,IP:::1"
make_cert client ca "DNS:client"
make_cert intruder other-ca "DNS:client"
chmod 0644 ./*.key  # openssl writes 0600; the serving process (nobody) reads server keys

# Cost 4 (the minimum) keeps 1,000 failed logins at a few seconds; production uses 10+.
hash_of() { htpasswd -nbBC 4 x "$1" | cut -d: -f2; }
secret_hash=$(hash_of secret)
rotated_hash=$(hash_of rotated)

write_web_config() {  # write_web_config CERT HASH [MIN_VERSION]
  cat >web.yml <<EOF
tls_server_config:
  cert_file: $1.crt
  key_file: $1.key
  min_version: ${3:-TLS12}
basic_auth_users:
  prom: $2
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
EOF
}
write_web_config server "$secret_hash"
expect_eq "check-config of the web config" "web.yml: valid web config" \
  "$("$exporter" --check-config --web.config.file=web.yml 2>&1)"

read -r tls_port dual_port v6_port prom_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

"$exporter" --web.listen-address="127.0.0.1:$tls_port" --web.config.file=web.yml \
  >tls.log 2>&1 &
tls_pid=$!
pids+=("$tls_pid")
"$exporter" --web.listen-address=":$dual_port" --web.listen-address="[::1]:$v6_port" \
  >plain.log 2>&1 &
pids+=($!)

url="https://127.0.0.1:$tls_port"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }
wait_for 10 "the TLS exporter" curl -sf --cacert ca.crt -u prom:secret "$url/-/healthy"
wait_for 10 "the plain exporter" curl -sf "http://127.0.0.1:$dual_port/-/healthy"

# --- listening: :PORT on IPv4 and IPv6, [::1]:PORT, busy and bad addresses.
expect_eq ":PORT over IPv4" 200 "$(code "http://127.0.0.1:$dual_port/metrics")"
expect_eq ":PORT over IPv6" 200 "$(code "http://[::1]:$dual_port/metrics")"
expect_eq "[::1]:PORT" 200 "$(code "http://[::1]:$v6_port/-/healthy")"
set +e
busy=$("$exporter" --web.listen-address="127.0.0.1:$dual_port" 2>&1)
busy_rc=$?
bad=$("$exporter" --web.listen-address="[::1]:70000" 2>&1)
bad_rc=$?
set -e
expect_eq "busy address exit code" 1 "$busy_rc"
case "$busy" in
  *"cannot listen on 127.0.0.1:$dual_port: cannot bind to 127.0.0.1:$dual_port: 98 (Address already in use)"*) echo "ok: busy address named" ;;
  *) fail "busy address message: $busy" ;;
esac
expect_eq "bad address" "2 port_exporter: invalid --web.listen-address \"[::1]:70000\": want [HOST]:PORT, e.g. :12908, 127.0.0.1:12908 or [::1]:12908" "$bad_rc $bad"

# --- TLS versions, plain HTTP refused.
protocol_of() {  # protocol_of S_CLIENT_FLAGS...: the negotiated protocol, or "refused"
  local out
  out=$(openssl s_client -connect "127.0.0.1:$tls_port" -CAfile ca.crt "$@" </dev/null 2>&1) || true
  # "New, TLSv1.3, Cipher is ..." after a handshake; "New, (NONE), ..." when it failed.
  sed -n 's/^New, \(TLSv1\.[0-9]\), Cipher.*/\1/p' <<<"$out" | head -1 | grep . || echo refused
}
expect_eq "TLS 1.3 handshake" TLSv1.3 "$(protocol_of -tls1_3)"
expect_eq "TLS 1.2 handshake" TLSv1.2 "$(protocol_of -tls1_2)"
expect_eq "curl over TLS 1.2" 200 "$(code --cacert ca.crt -u prom:secret --tlsv1.2 --tls-max 1.2 "$url/metrics")"
# A TLS 1.2 session saved now resumes under this web config (control); after the reload to
# client certificates below it must not (it would skip the certificate).
resumed() {  # resumed SESSION_FILE: "Reused" or "New"
  openssl s_client -connect "127.0.0.1:$tls_port" -CAfile ca.crt -tls1_2 -sess_in "$1" \
    </dev/null 2>/dev/null | sed -n 's/^\(New\|Reused\), .*/\1/p' | head -1 | grep . || echo refused
}
openssl s_client -connect "127.0.0.1:$tls_port" -CAfile ca.crt -tls1_2 -sess_out session.pem \
  </dev/null >/dev/null 2>&1
expect_eq "TLS 1.2 session resumed under the same web config" Reused "$(resumed session.pem)"
expect_eq "plain HTTP to the TLS port" 000 "$(code "http://127.0.0.1:$tls_port/metrics")"

# --- basic auth: every failure is the same 401 with a challenge.
expect_eq "right password" 200 "$(code --cacert ca.crt -u prom:secret "$url/metrics")"
failure_of() { curl -s -D - --max-time 5 --cacert ca.crt "$@" "$url/metrics" | tr -d '\r'; }
reference=$(failure_of -u prom:wrong)
grep -q '^HTTP/1.1 401 Unauthorized$' <<<"$reference" || fail "wrong password: $reference"
grep -q '^WWW-Authenticate: Basic realm="port_exporter", charset="UTF-8"$' <<<"$reference" ||
  fail "no WWW-Authenticate: $reference"
expect_eq "unknown user answer" "$reference" "$(failure_of -u nobody:secret)"
expect_eq "no Authorization answer" "$reference" "$(failure_of)"
expect_eq "garbled Authorization answer" "$reference" "$(failure_of -H 'Authorization: Basic %%%')"
headers=$(curl -s -D - -o /dev/null --cacert ca.crt -u prom:secret "$url/-/healthy" | tr -d '\r')
grep -q '^X-Content-Type-Options: nosniff$' <<<"$headers" || fail "configured header missing: $headers"
echo "ok: http_server_config.headers sent"

# --- gzip: compressed once per collection; gzip -t checks CRC and length.
curl -s -D gz.headers -o body.gz --cacert ca.crt -u prom:secret -H 'Accept-Encoding: gzip' "$url/metrics"
grep -qi '^content-encoding: gzip' gz.headers || fail "no gzip: $(cat gz.headers)"
grep -qi '^vary: accept-encoding' gz.headers || fail "no Vary: $(cat gz.headers)"
gzip -t body.gz
# process_* are read per scrape, and the scrape counter counted the gzip scrape in between.
per_scrape='^process_\|^promhttp_metric_handler_requests_total'
plain=$(curl -s --cacert ca.crt -u prom:secret "$url/metrics" | grep -v "$per_scrape")
expect_eq "gzip body = plain body (without process_*, the scrape counter)" "$plain" "$(gzip -dc body.gz | grep -v "$per_scrape")"
grep -q '^port_listeners{port="2908",protocol="tcp",family="ipv4"} ' <<<"$plain" || fail "no port_listeners: $plain"

# --- 1,000 failed logins on one keep-alive connection, then a good one.
urls=()
for _ in $(seq 1000); do urls+=("$url/metrics"); done
start=$SECONDS
failures=$(curl -s -o /dev/null -w '%{http_code}\n' --cacert ca.crt -u prom:wrong "${urls[@]}" | grep -c '^401$')
expect_eq "failed logins answered 401" 1000 "$failures"
echo "info: 1,000 failed logins took $((SECONDS - start)) s"
expect_eq "scrape after 1,000 failed logins" 200 "$(code --cacert ca.crt -u prom:secret "$url/metrics")"

# --- a real Prometheus: TLS + basic auth, and [::1] (gzip is its default Accept-Encoding).
cat >prometheus.yml <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: tls
    scheme: https
    tls_config: {ca_file: $tmp/ca.crt}
    basic_auth: {username: prom, password: secret}
    static_configs: [{targets: ["127.0.0.1:$tls_port"]}]
  - job_name: ipv6
    static_configs: [{targets: ["[::1]:$dual_port"]}]
EOF
prometheus --config.file=prometheus.yml --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >prometheus.log 2>&1 &
pids+=($!)
query() {  # query EXPR: the value of the first sample, or empty
  curl -s --max-time 2 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
scraped() { [ "$(query "$1")" = "$2" ]; }
wait_for 30 "Prometheus scraping over TLS" scraped 'up{job="tls"}' 1
wait_for 30 "Prometheus scraping over [::1]" scraped 'up{job="ipv6"}' 1
expect_eq "listeners of 2908 via TLS" 0 \
  "$(query 'port_listeners{job="tls",port="2908",protocol="tcp",family="ipv4"}')"
expect_eq "build_info via [::1]" 1 "$(query 'count(port_exporter_build_info{job="ipv6"})')"

# --- reload: a bad web config is refused and the running one stays.
echo "tls_server_config: {cert_file: server.crt, key_file: server.key, bogus: 1}" >web.yml
kill -HUP "$tls_pid"
wait_for 10 "the refused reload" grep -q 'web config reload failed' tls.log
grep -q 'web.yml:1:.*bogus: unknown key' tls.log || fail "reload error not positioned"
expect_eq "after a bad reload" 200 "$(code --cacert ca.crt -u prom:secret "$url/metrics")"

# --- reload: a new password and a new certificate, TLS 1.3 only.
write_web_config server2 "$rotated_hash" TLS13
kill -HUP "$tls_pid"
wait_for 10 "the new password" test "$(code --cacert ca.crt -u prom:rotated "$url/metrics")" = 200
expect_eq "old password after the reload" 401 "$(code --cacert ca.crt -u prom:secret "$url/metrics")"
subject=$(openssl s_client -connect "127.0.0.1:$tls_port" -CAfile ca.crt </dev/null 2>/dev/null |
  openssl x509 -noout -subject)
expect_eq "certificate after the reload" "subject=CN = server2" "$subject"
expect_eq "TLS 1.2 after min_version TLS13" refused "$(protocol_of -tls1_2)"
expect_eq "TLS 1.3 after min_version TLS13" TLSv1.3 "$(protocol_of -tls1_3)"
wait_for 30 "Prometheus failing with the old password" scraped 'up{job="tls"}' 0

# --- client certificates, on a reload too.
cat >web.yml <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
EOF
kill -HUP "$tls_pid"
mtls() { code --cacert ca.crt "$@" "$url/metrics"; }
wait_for 10 "client certificates required" test "$(mtls)" = 000
expect_eq "good client certificate" 200 "$(mtls --cert client.crt --key client.key)"
expect_eq "no client certificate" 000 "$(mtls)"
expect_eq "client certificate of another CA" 000 "$(mtls --cert intruder.crt --key intruder.key)"
# (s_client may still print "New" for the full handshake that the server then fails.)
old_session=$(resumed session.pem)
[ "$old_session" != Reused ] || fail "a session of the previous web config was resumed"
echo "ok: the previous web config's session was not resumed ($old_session)"
kill -0 "$tls_pid" || fail "the exporter died"
echo "PASS"
