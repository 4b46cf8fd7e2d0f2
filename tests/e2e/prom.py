#!/usr/bin/env python3
"""Reads a Prometheus server's HTTP API for tests/e2e/alerting.test.sh (stdlib only).

  prom.py alerts URL ALERTNAME STATE [LABEL=VALUE ...]
      Alerts named ALERTNAME in STATE (firing | pending | any) whose labels include every
      LABEL=VALUE, one JSON object per line. Exit 0 if one matched, 1 if none.
  prom.py firing-names URL
      Names of the firing alerts, sorted and unique, one per line. Exit 0.
  prom.py query URL EXPR
      The instant query's result, one JSON object per line. Exit 0 if not empty, 1 if empty.
  prom.py rules URL
      Alerting rules loaded, "NAME HEALTH" per line. Exit 0 if at least one is loaded
      and every rule's health is "ok" or "unknown" (not evaluated yet), 1 otherwise.

Exit 2 when the API cannot be read: the caller polls, so an unready server is not fatal.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def get(base, path, params=None):
    url = base.rstrip("/") + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"prom.py: GET {url}: {e}", file=sys.stderr)
        sys.exit(2)
    if body.get("status") != "success":
        print(f"prom.py: GET {url}: {body}", file=sys.stderr)
        sys.exit(2)
    return body["data"]


def alerts(base, name, state, wanted_labels):
    wanted = dict(pair.split("=", 1) for pair in wanted_labels)
    matched = 0
    for alert in get(base, "/api/v1/alerts")["alerts"]:
        labels = alert["labels"]
        if labels.get("alertname") != name:
            continue
        if state != "any" and alert["state"] != state:
            continue
        if any(labels.get(k) != v for k, v in wanted.items()):
            continue
        matched += 1
        print(json.dumps(alert, sort_keys=True))
    return 0 if matched else 1


def firing_names(base):
    names = {a["labels"]["alertname"] for a in get(base, "/api/v1/alerts")["alerts"]
             if a["state"] == "firing"}
    for name in sorted(names):
        print(name)
    return 0


def query(base, expr):
    result = get(base, "/api/v1/query", {"query": expr})["result"]
    for sample in result:
        print(json.dumps(sample, sort_keys=True))
    return 0 if result else 1


def rules(base):
    loaded = [r for g in get(base, "/api/v1/rules", {"type": "alert"})["groups"]
              for r in g["rules"]]
    for rule in loaded:
        print(rule["name"], rule["health"], rule.get("lastError", ""))
    healthy = all(r["health"] in ("ok", "unknown") for r in loaded)
    return 0 if loaded and healthy else 1


def main(argv):
    if len(argv) >= 5 and argv[1] == "alerts":
        return alerts(argv[2], argv[3], argv[4], argv[5:])
    if len(argv) == 3 and argv[1] == "firing-names":
        return firing_names(argv[2])
    if len(argv) == 4 and argv[1] == "query":
        return query(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "rules":
        return rules(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
