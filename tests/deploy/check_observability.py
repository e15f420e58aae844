#!/usr/bin/python3
"""The monitoring files under deploy/ hold together.

- deploy/prometheus/ato-bridge-alerts.yaml passes `promtool check rules`, and every alert fires (and
  stays quiet) as tests/deploy/ato-bridge-alerts.test.yaml says (`promtool test rules`).
- deploy/grafana/ato-bridge-dashboard.json is a dashboard Grafana can import: unique panel ids, panels
  inside the grid, every query valid PromQL (promtool checks them as recording rules) and using only
  the dashboard's own variables.
Metric names are checked against a live /metrics by the integration test (bridge_e2e_test.cpp).

usage: check_observability.py SOURCE_DIR TOOLS_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

source, tools = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
failures = []


def promtool():
    local = os.path.join(tools, "promtool")
    if os.access(local, os.X_OK):
        return local
    found = shutil.which("promtool")
    if not found:
        sys.exit("promtool not found (scripts/setup --with-test-tools fetches it into the build's tools/)")
    return found


def run(args, cwd=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        failures.append(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


tool = promtool()
rules = os.path.join(source, "deploy/prometheus/ato-bridge-alerts.yaml")
run([tool, "check", "rules", rules])
run([tool, "test", "rules", "ato-bridge-alerts.test.yaml"], cwd=os.path.join(source, "tests/deploy"))

# Every alert has a case where it fires and one where it stays quiet: an alert never seen firing in a
# test may be one that cannot fire (the circuit alert could not, in a slow outage).
import yaml  # noqa: E402 (Debian's python3-yaml, installed by scripts/setup)

with open(rules) as f:
    alerts = [r["alert"] for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r]
with open(os.path.join(source, "tests/deploy/ato-bridge-alerts.test.yaml")) as f:
    cases = [c for t in yaml.safe_load(f)["tests"] for c in t.get("alert_rule_test", [])]
for alert in alerts:
    mine = [c for c in cases if c["alertname"] == alert]
    if not any(c.get("exp_alerts") for c in mine):
        failures.append(f"alert {alert}: no test case where it fires (tests/deploy/ato-bridge-alerts.test.yaml)")
    if not any(not c.get("exp_alerts") for c in mine):
        failures.append(f"alert {alert}: no test case where it stays quiet (tests/deploy/ato-bridge-alerts.test.yaml)")

with open(os.path.join(source, "deploy/grafana/ato-bridge-dashboard.json")) as f:
    dashboard = json.load(f)
variables = {v["name"] for v in dashboard["templating"]["list"]} | {"__rate_interval", "__interval"}
ids = [p["id"] for p in dashboard["panels"]]
if len(ids) != len(set(ids)):
    failures.append(f"panel ids repeat: {ids}")
expressions = []
for panel in dashboard["panels"]:
    grid = panel["gridPos"]
    if grid["x"] < 0 or grid["x"] + grid["w"] > 24:
        failures.append(f"panel '{panel['title']}' lies outside the 24-column grid")
    if panel["type"] == "row":
        continue
    if not panel.get("targets"):
        failures.append(f"panel '{panel['title']}' has no query")
    for target in panel.get("targets", []):
        expr = target["expr"]
        for name in re.findall(r"\$(\w+)", expr):
            if name not in variables:
                failures.append(f"panel '{panel['title']}' uses ${name}, which the dashboard does not define")
        # Grafana fills in its variables before Prometheus sees the query; so does this check.
        expressions.append(expr.replace("$__rate_interval", "5m").replace("$instance", ".*").replace("$tenant", ".*"))
    if panel.get("datasource", {}).get("uid") != "${datasource}":
        failures.append(f"panel '{panel['title']}' does not use the dashboard's datasource variable")

with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, expr in enumerate(expressions):
        f.write(f"      - record: dashboard:query{i}\n        expr: {json.dumps(expr)}\n")
    generated = f.name
run([tool, "check", "rules", generated])
os.unlink(generated)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"alert rules checked and unit-tested; dashboard: {len(ids)} panels, {len(expressions)} queries valid")
