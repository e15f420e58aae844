#!/usr/bin/python3
"""The container image: deploy/container/Containerfile agrees with the Debian package and the
Kubernetes manifest (non-root uid 10690, the outbox volume, the admin port, the entrypoint the .deb
installs). With ATO_TEST_CONTAINER=1 (CI sets it) the image is built by scripts/container (podman,
a Debian 12 base from mmdebstrap) from this build's package; where this machine can run containers, the image's bridge
then runs against ato-sim on loopback until Cloud ALM has accepted events, and stops cleanly on
SIGTERM. Where it cannot (no podman, no cgroups or rlimits for a container runtime), the test says
which step it could not take and why, and the checks before it still count.

usage: check_container.py SOURCE_DIR BUILD_DIR ATO_BRIDGE ATO_SIM
"""
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

source, build, bridge, sim = sys.argv[1:5]
problems = []


def run(args, timeout=900, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


# 1. The files agree with each other.
with open(os.path.join(source, "deploy/container/Containerfile")) as f:
    containerfile = f.read()
with open(os.path.join(source, "deploy/kubernetes/ato-bridge.yaml")) as f:
    stateful = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "StatefulSet")
pod = stateful["spec"]["template"]["spec"]
container = pod["containers"][0]
user = re.search(r"^USER\s+(\d+):(\d+)\s*$", containerfile, re.M)
if not user:
    problems.append("the Containerfile has no numeric USER uid:gid (Kubernetes' runAsNonRoot needs one)")
elif user.group(1) == "0":
    problems.append("the image runs as root")
elif int(user.group(1)) != pod["securityContext"]["runAsUser"] or int(user.group(2)) != pod["securityContext"]["runAsGroup"]:
    problems.append(f"USER {user.group(1)}:{user.group(2)} but the StatefulSet runs as "
                    f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}")
outbox_mounts = [m["mountPath"] for m in container["volumeMounts"] if m["name"] == "outbox"]
volume = re.search(r'^VOLUME\s+\["([^"]+)"\]', containerfile, re.M)
if not volume or [volume.group(1)] != outbox_mounts:
    problems.append(f"the image's VOLUME {volume and volume.group(1)} is not the StatefulSet's outbox mount {outbox_mounts}")
ports = [p["containerPort"] for p in container["ports"]]
expose = re.search(r"^EXPOSE\s+(\d+)", containerfile, re.M)
if not expose or int(expose.group(1)) not in ports:
    problems.append(f"EXPOSE {expose and expose.group(1)} is not the StatefulSet's admin port {ports}")
if '"/usr/bin/ato-bridge"' not in containerfile:
    problems.append("the entrypoint is not /usr/bin/ato-bridge, which the package installs")
with open(os.path.join(source, "deploy/systemd/bridge.json")) as f:
    example = json.load(f)
if volume and not example["outbox"]["path"].startswith(volume.group(1) + "/"):
    problems.append("the example configuration's outbox is not on the image's volume")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("Containerfile agrees with the package and the Kubernetes manifest")

if os.environ.get("ATO_TEST_CONTAINER") != "1":
    print("image not built: set ATO_TEST_CONTAINER=1 to build it with podman (CI does)")
    sys.exit(0)
if not shutil.which("podman") or not shutil.which("mmdebstrap"):
    print("image not built: podman and mmdebstrap are missing (scripts/setup --with-test-tools installs them)")
    sys.exit(1)
podman_info = run(["podman", "info"], timeout=120)
if podman_info.returncode != 0:
    print("image not built: podman cannot work on this machine ("
          + (podman_info.stderr.strip().splitlines() or ["no reason given"])[-1] + ")")
    sys.exit(0)

# How containers run here: podman's default runtime (crun) cannot set rlimits on machines like this
# project's (`crun: setrlimit RLIMIT_NOFILE: Operation not permitted`); Debian's runc with explicit
# limits can. scripts/container prints the same flags.
RUNTIME = (["--runtime", "runc", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]
           if shutil.which("runc") else [])
# As the StatefulSet runs it: read-only root, no capabilities.
HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]

# 4. The installed unit for real: systemd (Debian 12's, 252) as PID 1 in a container made from the
# image, the package's unit started with systemctl against ato-sim on the host's loopback.
SYSTEMD_IMAGE = """FROM localhost/ato-bridge:test
USER root
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd systemd-sysv >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/lib/systemd/systemd"]
CMD []
"""


def in_unit_container(*command, timeout=60):
    return run(["podman", "exec", "ato-bridge-systemd-test", *command], timeout=timeout)


def check_unit_under_systemd(state, ready, settings, context):
    work = tempfile.mkdtemp()
    try:
        with open(os.path.join(work, "Containerfile"), "w") as f:
            f.write(SYSTEMD_IMAGE)
        built = run(["podman", "build", "--quiet", "--isolation=chroot", "-t", "localhost/ato-bridge-systemd:test", work],
                    timeout=900)
        if built.returncode != 0:
            sys.exit("the image with systemd could not be built:\n" + built.stderr[-2000:])
        started = run(["podman", "run", "-d", *RUNTIME, "--systemd=always", "--name", "ato-bridge-systemd-test",
                       "--network=host", "-v", f"{state}:/srv/state:ro", "localhost/ato-bridge-systemd:test"], timeout=120)
        if started.returncode != 0:
            sys.exit("systemd did not start in a container:\n" + started.stderr[-2000:])
        for _ in range(60):
            if in_unit_container("systemctl", "is-system-running").stdout.strip() in ("running", "degraded"):
                break
            time.sleep(0.5)
        # What an operator does (README, "Running it as a service"): configuration and key in
        # /etc/ato-bridge, the key 0640 root:ato-bridge, the passwords in ato-bridge.env 0600.
        unit_settings = dict(settings)
        unit_settings["outbox"] = dict(settings["outbox"], path="/var/lib/ato-bridge/outbox.db")
        # Off loopback without a token: a warning at every start, which the journal must keep as one.
        unit_settings["admin"] = {"listen": "0.0.0.0:0"}
        with open(os.path.join(work, "bridge.json"), "w") as f:
            json.dump(unit_settings, f)
        with open(os.path.join(work, "ato-bridge.env"), "w") as f:
            for t in ready["tenants"]:
                f.write(f"ATO_PASSWORD_{re.sub('[^A-Za-z0-9]', '_', t['name'])}={t['password']}\n")
        for name, mode in (("bridge.json", "0640"), ("ato-bridge.env", "0600")):
            copied = run(["podman", "cp", os.path.join(work, name), f"ato-bridge-systemd-test:/etc/ato-bridge/{name}"])
            if copied.returncode != 0:
                sys.exit(f"podman cp {name} failed: {copied.stderr}")
            in_unit_container("chmod", mode, f"/etc/ato-bridge/{name}")
            in_unit_container("chown", "root:ato-bridge" if mode == "0640" else "root:root", f"/etc/ato-bridge/{name}")
        for source in (ready["service_key_file"], ready["ca_file"]):
            in_unit_container("install", "-m", "0640", "-g", "ato-bridge", f"/srv/state/{os.path.basename(source)}",
                              "/etc/ato-bridge/")
        began = time.monotonic()
        start = in_unit_container("systemctl", "start", "ato-bridge", timeout=90)
        journal = lambda: in_unit_container("journalctl", "-u", "ato-bridge", "-o", "json", "--no-pager").stdout
        if start.returncode != 0:
            sys.exit("systemctl start ato-bridge failed:\n" + start.stderr + in_unit_container(
                "journalctl", "-u", "ato-bridge", "--no-pager").stdout[-3000:])
        status_text = in_unit_container("systemctl", "show", "-p", "StatusText", "--value", "ato-bridge").stdout.strip()
        if "tenant(s), admin" not in status_text:
            sys.exit(f"systemctl start returned, but the unit's STATUS is '{status_text}' (READY=1 with STATUS= expected)")
        print(f"systemctl start ato-bridge: ready after {time.monotonic() - began:.1f} s, status '{status_text}'")
        # A new outbox with backfill: the unit's bridge sends the landscape again (what the first
        # container delivered comes back as duplicates), so Cloud ALM's answers of either kind count.
        def answered():
            with urllib.request.urlopen(ready["alm_url"] + "/sim/stats", context=context, timeout=5) as answer:
                stats = json.load(answer)
            return stats["events_accepted"] + stats["events_duplicate"]
        before = answered()
        now = before
        for _ in range(120):
            now = answered()
            if now > before:
                break
            time.sleep(0.5)
        if now <= before:
            sys.exit("the unit's bridge pushed nothing to ato-sim in 60 s:\n"
                     + in_unit_container("journalctl", "-u", "ato-bridge", "--no-pager").stdout[-3000:])
        priorities = {}
        for line in journal().splitlines():
            entry = json.loads(line)
            message = entry.get("MESSAGE")
            if isinstance(message, str):
                if "reachable from other machines" in message:
                    priorities["warning"] = entry.get("PRIORITY")
                elif "starting: outbox" in message:
                    priorities["info"] = entry.get("PRIORITY")
        if priorities != {"warning": "4", "info": "6"}:
            sys.exit(f"journal priorities of the unit's lines: {priorities}, expected warning 4 and info 6:\n"
                     + in_unit_container("journalctl", "-u", "ato-bridge", "--no-pager").stdout[-3000:])
        began = time.monotonic()
        stop = in_unit_container("systemctl", "stop", "ato-bridge", timeout=60)
        took = time.monotonic() - began
        result = in_unit_container("systemctl", "show", "-p", "Result", "-p", "ExecMainStatus", "--value",
                                   "ato-bridge").stdout.split()
        if stop.returncode != 0 or took > 10 or result != ["success", "0"]:
            sys.exit(f"systemctl stop: exit {stop.returncode} after {took:.1f} s, result {result} "
                     "(within 10 s and success expected: pushes in flight get 3 s)")
        print(f"the unit under systemd pushed to ato-sim ({now - before} events answered), "
              f"journal priorities warning=4 info=6, stopped in {took:.1f} s with result success")
    finally:
        run(["podman", "rm", "-f", "ato-bridge-systemd-test"], timeout=120)
        shutil.rmtree(work, ignore_errors=True)


# 2. Build the image as scripts/container does, from this build's package.
work = tempfile.mkdtemp()
try:
    package = run(["cpack", "-B", os.path.join(work, "package")], cwd=build)
    if package.returncode != 0:
        sys.exit("cpack failed:\n" + package.stdout + package.stderr)
    debs = [f for f in os.listdir(os.path.join(work, "package")) if f.endswith(".deb")]
    built = run([os.path.join(source, "scripts/container"), "--deb", os.path.join(work, "package", debs[0]),
                 "--tag", "localhost/ato-bridge:test"])
    if built.returncode == 3:  # the machine cannot make a Debian base; the Containerfile is not at fault
        print("image not built, the Debian base could not be made here: "
              + " | ".join(built.stderr.strip().splitlines()[-3:]))
        sys.exit(0)
    if built.returncode != 0:
        sys.exit("scripts/container failed:\n" + built.stdout[-2000:] + built.stderr[-2000:])
    inspect = json.loads(run(["podman", "image", "inspect", "localhost/ato-bridge:test"]).stdout)[0]["Config"]
    if inspect.get("User") != "10690:10690" or "/var/lib/ato-bridge" not in inspect.get("Volumes", {}):
        sys.exit(f"the built image's user or volume is wrong: {inspect.get('User')}, {inspect.get('Volumes')}")
    print("image built: localhost/ato-bridge:test, user 10690:10690, volume /var/lib/ato-bridge")

    # 3. Run it, where this machine lets containers run.
    version = run(["podman", "run", "--rm", *RUNTIME, *HARDENED, "localhost/ato-bridge:test", "--version"],
                  timeout=120)
    if version.returncode != 0:
        reason = (version.stderr.strip().splitlines() or ["no reason given"])[-1]
        if RUNTIME:  # runc is the runtime that works on machines like ours: not running is a failure
            sys.exit("the image did not run with runc: " + version.stderr[-2000:])
        print(f"the image was not run: this machine cannot run containers ({reason}); "
              "Debian's runc (scripts/setup --with-test-tools) runs them where crun cannot")
        sys.exit(0)
    print("in the image: " + version.stdout.splitlines()[0])
    state = os.path.join(work, "sim")
    os.makedirs(state)
    sim_process = subprocess.Popen([sim, "serve", "--ready-file", os.path.join(state, "ready.json"), "--generate-count", "3"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(os.path.join(state, "ready.json")):
                break
            time.sleep(0.1)
        ready = json.load(open(os.path.join(state, "ready.json")))
        config = os.path.join(state, "bridge.json")
        init = run([bridge, "config", "init", "--service-key", ready["service_key_file"], "--from-sim",
                    os.path.join(state, "ready.json"), "--ca-file", ready["ca_file"], "--run-every", "2s", "--out", config])
        if init.returncode != 0:
            sys.exit("config init failed:\n" + init.stderr)
        settings = json.load(open(config))
        # Inside the container the state directory is mounted at /etc/ato-bridge.
        settings["cloud_alm"]["service_key_file"] = os.path.basename(ready["service_key_file"])
        settings["tls"]["ca_file"] = os.path.basename(ready["ca_file"])
        settings["outbox"]["path"] = "/var/lib/ato-bridge/outbox.db"
        settings["collect"]["backfill"] = True
        settings["admin"]["listen"] = "127.0.0.1:0"
        json.dump(settings, open(config, "w"))
        os.chmod(state, 0o755)
        for name in os.listdir(state):
            os.chmod(os.path.join(state, name), 0o644)
        env = [f"--env=ATO_PASSWORD_{re.sub('[^A-Za-z0-9]', '_', t['name'])}={t['password']}" for t in ready["tenants"]]
        registered = run(["podman", "run", "--rm", *RUNTIME, *HARDENED, "--network=host", "-v", f"{state}:/etc/ato-bridge:ro",
                          *env, "localhost/ato-bridge:test", "register"], timeout=120)
        if registered.returncode != 0:
            sys.exit("register in the container failed:\n" + registered.stdout + registered.stderr)
        started = run(["podman", "run", "-d", *RUNTIME, *HARDENED, "--name", "ato-bridge-test", "--network=host",
                       "-v", f"{state}:/etc/ato-bridge:ro", "-v", "ato-bridge-test-outbox:/var/lib/ato-bridge",
                       *env, "localhost/ato-bridge:test"], timeout=120)
        if started.returncode != 0:
            sys.exit("podman run failed:\n" + started.stderr)
        context = ssl.create_default_context(cafile=ready["ca_file"])
        accepted = 0
        for _ in range(120):
            with urllib.request.urlopen(ready["alm_url"] + "/sim/stats", context=context, timeout=5) as answer:
                accepted = json.load(answer)["events_accepted"]
            if accepted > 0:
                break
            time.sleep(0.5)
        stopped = run(["podman", "stop", "--time", "20", "ato-bridge-test"], timeout=60)
        status = run(["podman", "inspect", "--format", "{{.State.ExitCode}}", "ato-bridge-test"]).stdout.strip()
        logs = run(["podman", "logs", "ato-bridge-test"]).stderr
        if accepted == 0:
            sys.exit("the bridge in the container delivered nothing in 60 s:\n" + logs[-3000:])
        if stopped.returncode != 0 or status != "0":
            sys.exit(f"the container did not stop cleanly on SIGTERM (exit {status}):\n" + logs[-3000:])
        print(f"the image's bridge delivered {accepted} events to ato-sim and stopped cleanly")
        check_unit_under_systemd(state, ready, settings, context)
    finally:
        sim_process.terminate()
        sim_process.wait(timeout=20)
        run(["podman", "rm", "-f", "ato-bridge-test"])
        run(["podman", "volume", "rm", "-f", "ato-bridge-test-outbox"])
finally:
    shutil.rmtree(work, ignore_errors=True)
