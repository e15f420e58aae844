#!/usr/bin/python3
"""Every shell block of README.md runs as written, or says why it cannot.

Each ```sh block is preceded by `<!-- readme-test: NAME ... -->` (run here) or
`<!-- readme-synopsis: why -->` (placeholders such as `...` or `[--suffix QA]`, real tenants, root);
a block with neither fails the test. Blocks run under bash -euo pipefail from the repository's root,
with build/bridge and build/simulator on PATH (as the README asks) and the README's /tmp/sim and
/tmp/ato replaced by temporary directories (nothing else changed):

- running-the-bridge: ato-sim, config init, register and run, while another program holds
  127.0.0.1:8690 (the default admin port: the block must not depend on it being free); Cloud ALM
  accepts events from the bridge, and SIGTERM stops it all cleanly.
- ato-feed: the fake ATO alone and a filtered page of a tenant's feed.
- alm-serve: the files the README says the simulator writes (the service key 0600).
- token-and-push, features-deploy, features-production: as the README says, against the simulator
  of running-the-bridge started with --imports on-deploy: the example package accepted, a feature
  deployed to test, then (once the bridge delivered the import) made ready and deployed to production,
  the transport's status following.
- load-test: in that state directory, the load test's system registered and 30 s of load, every
  event accepted (exit 0), both reports written.

usage: check_blocks.py SOURCE_DIR
"""
import json
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

source = os.path.abspath(sys.argv[1])
readme = open(os.path.join(source, "README.md")).read()
failures = []

# Every shell block is marked one way or the other.
blocks = {}
for match in re.finditer(r"```sh\n(.*?)```", readme, re.S):
    preceding = readme[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
    marker = re.match(r"<!-- readme-(test|synopsis): ?([a-z-]*)", preceding)
    line = readme.count("\n", 0, match.start()) + 1
    if not marker:
        failures.append(f"README.md:{line}: a shell block marked neither readme-test nor readme-synopsis")
    elif marker.group(1) == "test":
        blocks[marker.group(2)] = match.group(1)
expected = {"running-the-bridge", "ato-feed", "alm-serve", "token-and-push", "features-deploy",
            "features-production", "load-test"}
if set(blocks) != expected:
    sys.exit(f"README.md: blocks marked readme-test are {sorted(blocks)}, this test runs {sorted(expected)}")

build = os.environ.get("ATO_BUILD_DIR", os.path.join(source, "build"))
# Debian's python3, as the README means; the binaries on PATH, as it asks.
env = dict(os.environ, PATH=f"{build}/bridge:{build}/simulator:/usr/bin:/bin:/usr/sbin:/sbin")


def start(script, log_path, cwd=source, extra_env=None):
    log = open(log_path, "w+")
    return subprocess.Popen(["/bin/bash", "-euo", "pipefail", "-c", script], cwd=cwd, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env=dict(env, **(extra_env or {})))


def stop(process, what):
    """SIGTERM to the block's process group, what Ctrl-C in its shell would stop."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        failures.append(f"{what}: did not stop within 30 s of SIGTERM")
    try:
        os.killpg(process.pid, signal.SIGKILL)  # anything the block left in the background
    except ProcessLookupError:
        pass


def run(script, log_path, cwd=source, timeout=120, extra_env=None):
    process = start(script, log_path, cwd, extra_env)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        failures.append(f"{os.path.basename(log_path)}: still running after {timeout} s")
    stop(process, os.path.basename(log_path))
    return process.returncode, open(log_path).read()


def wait_for(condition, seconds, step=0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


def sim_get(ready, path):
    context = ssl.create_default_context(cafile=ready["ca_file"])
    try:
        with urllib.request.urlopen(ready["alm_url"] + path, context=context, timeout=5) as answer:
            return json.load(answer)
    except OSError:
        return None


def read_ready(state):
    ready_file = os.path.join(state, "ready.json")
    if os.path.exists(ready_file) and os.path.getsize(ready_file) > 0:
        return json.load(open(ready_file))
    return None


def passwords(ready):
    return {"ATO_PASSWORD_" + re.sub("[^A-Za-z0-9]", "_", t["name"]): t["password"] for t in ready["tenants"]}


def transport_status(ready, transport):
    page = sim_get(ready, "/sim/transports?$filter=" + urllib.parse.quote(f"id eq '{transport}'"))
    value = (page or {}).get("value") or [{}]
    return value[0].get("status")


def running_the_bridge(tmp, name, sim_options="", hold_admin_port=False):
    """Starts the block in `tmp/<name>`; returns (process, state directory, ready) once Cloud ALM accepted events."""
    state = os.path.join(tmp, name)
    script = blocks["running-the-bridge"].replace("/tmp/sim", state)
    if sim_options:
        script = script.replace("ready.json &", f"ready.json {sim_options} &", 1)
    holder = None
    if hold_admin_port:
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", 8690))
            holder.listen()
        except OSError:
            pass  # held already by something else: the same situation
    process = start(script, os.path.join(tmp, name + ".log"))

    def accepted():
        if process.poll() is not None:
            return None
        ready = read_ready(state)
        stats = ready and sim_get(ready, "/sim/stats")
        return ready if stats and stats["events_accepted"] > 0 else None

    ready = wait_for(accepted, 120)
    if process.poll() is not None:
        failures.append(f"{name}: the block ended by itself (exit {process.returncode}) before Cloud ALM accepted anything")
    elif not ready:
        failures.append(f"{name}: Cloud ALM accepted nothing from the block's bridge in 120 s")
    return process, state, ready, holder


def check_running_the_bridge(tmp):
    process, _, ready, holder = running_the_bridge(tmp, "sim", hold_admin_port=True)
    stop(process, "running-the-bridge")
    if holder:
        holder.close()
    output = open(os.path.join(tmp, "sim.log")).read()
    if "stopped: outbox holds" not in output:
        failures.append("running-the-bridge: the bridge did not say it stopped cleanly:\n" + output[-3000:])
    elif ready:
        print("running-the-bridge: as written, Cloud ALM accepted events, stopped cleanly")


def check_ato_feed(tmp):
    state = os.path.join(tmp, "ato")
    code, output = run(blocks["ato-feed"].replace("/tmp/ato", state), os.path.join(tmp, "ato-feed.log"))
    page = output[output.find('{"@odata.context"'):].splitlines()[0] if '{"@odata.context"' in output else ""
    try:
        events = json.loads(page)["value"]
    except ValueError:
        events = None
    if code != 0 or not events or any(e.get("service") != "IMPORT" for e in events) or len(events) > 2:
        failures.append(f"ato-feed: exit {code}, expected a page of at most 2 IMPORT events:\n{output[-3000:]}")
    else:
        print(f"ato-feed: as written, a page of {len(events)} IMPORT event(s) of S4T~100")


def check_alm_serve(tmp):
    state = os.path.join(tmp, "alm")
    os.makedirs(state)
    process = start(blocks["alm-serve"].replace("/tmp/sim", state), os.path.join(tmp, "alm-serve.log"))
    ready = wait_for(lambda: read_ready(state), 30, 0.1)
    stop(process, "alm-serve")
    if not ready:
        failures.append("alm-serve: no ready file in 30 s:\n" + open(os.path.join(tmp, "alm-serve.log")).read()[-2000:])
        return
    missing = [k for k in ("alm_url", "token_url", "push_urls", "ca_file", "service_key_file") if k not in ready]
    key_mode = stat.S_IMODE(os.stat(ready["service_key_file"]).st_mode) if os.path.exists(ready["service_key_file"]) else None
    if missing or key_mode != 0o600 or not os.path.exists(os.path.join(state, "ato-sim-ca.pem")):
        failures.append(f"alm-serve: ready file lacks {missing}, service key mode {key_mode}")
    else:
        print("alm-serve: ready file, CA and service key (0600) written beside it")


def check_cloud_alm_walkthrough(tmp):
    process, state, ready, _ = running_the_bridge(tmp, "deploy", "--imports on-deploy")
    try:
        if not ready:
            return
        # What the walkthrough assigns: a released transport the bridge delivered.
        if wait_for(lambda: transport_status(ready, "S4DK900900") == "Released", 60) is None:
            failures.append("features-deploy: S4DK900900 never became Released at the fake Cloud ALM")
            return
        shell = blocks["token-and-push"] + blocks["features-deploy"]
        wait = ("for _ in $(seq 120); do curl -sS --cacert $S/ato-sim-ca.pem -H \"$H\" "
                "\"$API/Transports?\\$filter=transportRequest%20eq%20'S4DK900900'\" | grep -q 'Deployed in S4T~100' "
                "&& break; sleep 0.5; done\necho\necho PRODUCTION\n")
        code, output = run((shell + wait + blocks["features-production"]).replace("/tmp/sim", state),
                           os.path.join(tmp, "walkthrough.log"))
        answers = [line for line in output.replace("}{", "}\n{").splitlines() if line.startswith("{")]
        errors = [a for a in answers if '"error"' in a]
        push = next((json.loads(a) for a in answers if '"packageId"' in a), None)
        deployed = wait_for(lambda: transport_status(ready, "S4DK900900") == "Deployed in S4P~100", 60)
        if code != 0 or errors or not push or any(r["result"] != "accepted" for r in push["results"]):
            failures.append(f"token-and-push, features-*: exit {code}, errors {errors}, push {push}:\n{output[-3000:]}")
        elif "PRODUCTION" not in output or not deployed:
            failures.append("features-production: S4DK900900 never became 'Deployed in S4P~100' "
                            f"(now {transport_status(ready, 'S4DK900900')}):\n{output[-3000:]}")
        else:
            print("token-and-push, features-deploy, features-production: as written, the example package "
                  "accepted, S4DK900900 deployed in S4T~100, then in S4P~100")
        # The load test, in the state directory of that bridge, with its tenants' passwords.
        code, output = run(blocks["load-test"], os.path.join(tmp, "load-test.log"), cwd=state, timeout=120,
                           extra_env=passwords(ready))
        reports = all(os.path.getsize(os.path.join(state, f)) > 0 for f in ("run.json", "run.html")
                      if os.path.exists(os.path.join(state, f))) and os.path.exists(os.path.join(state, "run.html"))
        if code != 0 or "60000 accepted" not in output or not reports:
            failures.append(f"load-test: exit {code}, reports written: {reports}:\n{output[-3000:]}")
        else:
            print("load-test: as written, 60000 events accepted, run.json and run.html written")
    finally:
        stop(process, "features-deploy's bridge")


with tempfile.TemporaryDirectory() as tmp:
    check_running_the_bridge(tmp)
    check_ato_feed(tmp)
    check_alm_serve(tmp)
    check_cloud_alm_walkthrough(tmp)
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
