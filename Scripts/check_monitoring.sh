#!/usr/bin/env bash
# Checks the monitoring that ships in Config/monitoring/:
#   - promtool check rules   on alerts.yml and recording_rules.yml;
#   - promtool test rules    on tests/*.yml (every alert has a unit test);
#   - every alert in alerts.yml is named by at least one test;
#   - the Grafana dashboard is valid JSON, and each panel's query parses as PromQL.
# Installs Debian's `prometheus` package (which brings promtool) when promtool is
# missing. Exits non-zero, saying what failed, on the first failure.
#
# Usage: Scripts/check_monitoring.sh
set -euo pipefail
cd "$(dirname "$0")/.."

dir=Config/monitoring
dashboard=$dir/dashboards/chatbots.json

fail() {
    echo "check_monitoring: FAILED: $*" >&2
    exit 1
}

if ! command -v promtool >/dev/null 2>&1; then
    echo "check_monitoring: promtool not found; installing Debian's prometheus package"
    [ "$(id -u)" -eq 0 ] || fail "promtool is missing and installing it needs root (apt-get install prometheus)"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine has no package lists yet: fetch them only when apt has no
    # candidate to install, so a machine that has them does not fetch them again.
    candidate=$(LC_ALL=C apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
        apt-get update || fail "apt-get update"
    fi
    apt-get install -y --no-install-recommends prometheus || fail "apt-get install prometheus"
    command -v promtool >/dev/null 2>&1 || fail "the prometheus package installed no promtool"
fi
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to read the dashboard"
echo "check_monitoring: $(promtool --version 2>&1 | head -n 1)"

echo "== promtool check rules"
promtool check rules "$dir/alerts.yml" "$dir/recording_rules.yml" || fail "promtool check rules"

echo "== promtool test rules"
promtool test rules "$dir"/tests/*.yml || fail "promtool test rules (see the diff above)"

echo "== every alert has a unit test"
missing=0
alerts=$(sed -n 's/^[[:space:]]*- alert:[[:space:]]*\([A-Za-z0-9_]*\).*/\1/p' "$dir/alerts.yml")
[ -n "$alerts" ] || fail "no alert found in $dir/alerts.yml"
for alert in $alerts; do
    if ! grep -Eq "^[[:space:]]*alertname:[[:space:]]*${alert}[[:space:]]*$" "$dir"/tests/*.yml; then
        echo "  no test names $alert" >&2
        missing=1
    fi
done
[ "$missing" -eq 0 ] || fail "alerts without a unit test in $dir/tests/"
echo "  $(echo "$alerts" | wc -l) alerts, each tested"

echo "== dashboard"
python3 -m json.tool "$dashboard" >/dev/null || fail "$dashboard is not valid JSON"
# Each panel's query, with Grafana's variables filled in, as a recording rule:
# `promtool check rules` then parses it as PromQL.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$dashboard" "$work/dashboard_queries.yml" <<'PY' || fail "could not read the panels' queries from $dashboard"
import json
import sys

source, out = sys.argv[1], sys.argv[2]
with open(source) as f:
    board = json.load(f)

def panels(items):
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))

lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
count = 0
for panel in panels(board.get("panels", [])):
    for target in panel.get("targets", []):
        expr = target.get("expr")
        if not expr:
            continue
        for variable, value in (("$__rate_interval", "5m"), ("$job", ".*"), ("$instance", ".*")):
            expr = expr.replace(variable, value)
        count += 1
        lines.append(f"      - record: dashboard:query_{count}")
        lines.append(f"        expr: {json.dumps(expr)}")
if count == 0:
    sys.exit("no queries in the dashboard")
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"  {count} panel queries")
PY
promtool check rules "$work/dashboard_queries.yml" >/dev/null || fail "a dashboard query does not parse (promtool check rules $work/dashboard_queries.yml says which)"

echo "check_monitoring: all checks passed"
