#!/usr/bin/python3
"""README blocks marked `<!-- readme-test: NAME -->` run as written, from the repository's root.

- running-the-bridge: ato-sim, config init, register and run against it. The block runs under bash
  with /tmp/sim replaced by a temporary directory (nothing else changed) while another program holds
  127.0.0.1:8690 (the default admin port: the block must not depend on it being free); it passes when
  Cloud ALM accepts events from the bridge, and then SIGTERM stops it all cleanly.
Blocks without the marker are synopses (placeholders such as `...` or `[--speed 10|max]`).

usage: check_blocks.py SOURCE_DIR
"""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

source = os.path.abspath(sys.argv[1])
readme = open(os.path.join(source, "README.md")).read()
blocks = dict(re.findall(r"<!-- readme-test: ([a-z-]+)[^>]*-->\n```sh\n(.*?)```", readme, re.S))
if "running-the-bridge" not in blocks:
    sys.exit("README.md: no block marked <!-- readme-test: running-the-bridge -->")

failures = []
with tempfile.TemporaryDirectory() as tmp:
    state = os.path.join(tmp, "sim")
    script = blocks["running-the-bridge"].replace("/tmp/sim", state)
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", 8690))
        holder.listen()
    except OSError:
        pass  # held already by something else: the same situation
    log = open(os.path.join(tmp, "block.log"), "w+")
    env = dict(os.environ, PATH="/usr/bin:/bin:/usr/sbin:/sbin")  # Debian's python3, as the README means
    block = subprocess.Popen(["/bin/bash", "-euo", "pipefail", "-c", script], cwd=source, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True, env=env)
    accepted = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and block.poll() is None:
            ready_file = os.path.join(state, "ready.json")
            if os.path.exists(ready_file) and os.path.getsize(ready_file) > 0:
                ready = json.load(open(ready_file))
                context = ssl.create_default_context(cafile=ready["ca_file"])
                try:
                    with urllib.request.urlopen(ready["alm_url"] + "/sim/stats", context=context, timeout=5) as a:
                        accepted = json.load(a)["events_accepted"]
                except OSError:
                    pass
                if accepted > 0:
                    break
            time.sleep(0.5)
        if block.poll() is not None:
            failures.append(f"the block ended by itself (exit {block.returncode}) before Cloud ALM accepted anything")
        elif accepted == 0:
            failures.append("Cloud ALM accepted nothing from the block's bridge in 120 s")
    finally:
        if block.poll() is None:
            os.killpg(block.pid, signal.SIGTERM)  # what Ctrl-C in the shell would stop: the bridge and the simulator
        try:
            block.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(block.pid, signal.SIGKILL)
            block.wait()
            failures.append("the block did not stop within 30 s of SIGTERM")
        holder.close()
    log.seek(0)
    output = log.read()
    if "stopped: outbox holds" not in output:
        failures.append("the bridge did not say it stopped cleanly")
    if failures:
        print(output[-4000:])
    else:
        print(f"running-the-bridge: as written, Cloud ALM accepted {accepted} events, stopped cleanly")
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
