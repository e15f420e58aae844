#!/usr/bin/python3
"""The Kubernetes manifests in deploy/kubernetes hold together (ato-bridge.yaml, and the sharded load
test's loadtest-job.yaml: an indexed Job whose index is the shard, reports on a shared volume): they parse, every pod of the
StatefulSet has its group of tenants (bridge-N.json), no tenant is served by two pods, every secret a
configuration names is in the Secret, the probes and ports agree with the admin endpoint, each outbox
lies on the pod's own volume, and every bridge-N.json is a configuration `ato-bridge config check`
accepts (run against a sample service key). Exit 1 with one line per problem.

usage: check_kubernetes.py SOURCE_DIR ATO_BRIDGE ATO_SIM
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml


def main(source_dir, bridge, sim):
    problems = []
    path = os.path.join(source_dir, "deploy", "kubernetes", "ato-bridge.yaml")
    with open(path) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in documents:
        for field in ("apiVersion", "kind", "metadata"):
            if field not in d:
                problems.append(f"a document lacks {field}")
        by_kind.setdefault(d.get("kind"), []).append(d)
    for kind in ("ConfigMap", "Secret", "Service", "StatefulSet"):
        if len(by_kind.get(kind, [])) != 1:
            problems.append(f"expected one {kind}, found {len(by_kind.get(kind, []))}")
    if problems:
        return problems
    config_map, secret = by_kind["ConfigMap"][0], by_kind["Secret"][0]
    service, stateful = by_kind["Service"][0], by_kind["StatefulSet"][0]
    spec = stateful["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]

    groups = sorted(k for k in config_map["data"] if k.startswith("bridge-") and k.endswith(".json"))
    if groups != [f"bridge-{i}.json" for i in range(spec["replicas"])]:
        problems.append(f"replicas {spec['replicas']} but the ConfigMap holds {groups}: one group per pod")
    if "${HOSTNAME##*-}" not in " ".join(container.get("command", [])):
        problems.append("the container does not pick bridge-<ordinal>.json by its pod name")
    if spec["selector"]["matchLabels"] != spec["template"]["metadata"]["labels"]:
        problems.append("the StatefulSet's selector does not match its pods")
    if service["spec"]["selector"] != spec["template"]["metadata"]["labels"]:
        problems.append("the Service does not select the bridge's pods")

    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
    if "outbox" not in claims or "outbox" not in mounts:
        problems.append("no volume claim template mounted for the outbox: each pod needs its own")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, want in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        got = container.get(probe, {}).get("httpGet", {})
        if got.get("path") != want or got.get("port") not in ports:
            problems.append(f"{probe} should GET {want} on a named container port")
    if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
        problems.append("the pod must run as non-root")

    secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    seen_tenants = {}
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "service-key.json")
        made = subprocess.run([sim, "sample-key", "--out", key], capture_output=True, text=True)
        if made.returncode != 0:
            return problems + [f"ato-sim sample-key failed: {made.stderr}"]
        for group in groups:
            config = json.loads(config_map["data"][group])
            outbox = config.get("outbox", {}).get("path", "")
            if not outbox.startswith(mounts.get("outbox", "//") + "/"):
                problems.append(f"{group}: the outbox {outbox} is not on the pod's volume")
            listen = config.get("admin", {}).get("listen", "")
            if not listen.endswith(f":{ports.get('admin')}") or listen.startswith("127."):
                problems.append(f"{group}: admin.listen {listen} is not the probed port on the pod's address")
            key_file = config["cloud_alm"]["service_key_file"]
            if not key_file.startswith(mounts.get("secrets", "//") + "/"):
                problems.append(f"{group}: the service key is not read from the Secret's mount")
            env = dict(os.environ)
            for tenant in config.get("tenants", []):
                if tenant["name"] in seen_tenants:
                    problems.append(f"tenant {tenant['name']} is in {seen_tenants[tenant['name']]} and {group}: "
                                    "two pods would collect it into two outboxes")
                seen_tenants[tenant["name"]] = group
                if tenant.get("password_env") not in secret_keys:
                    problems.append(f"{group}: {tenant['name']}'s {tenant.get('password_env')} is not in the Secret")
                env[tenant.get("password_env", "")] = "checked"
            # The real parser: the same file with the sample key standing in for the mounted one.
            config["cloud_alm"]["service_key_file"] = key
            config["outbox"]["path"] = os.path.join(tmp, group + ".db")
            local = os.path.join(tmp, group)
            with open(local, "w") as f:
                json.dump(config, f)
            checked = subprocess.run([bridge, "config", "check", "--config", local], env=env,
                                     capture_output=True, text=True)
            if checked.returncode != 0:
                problems.append(f"{group}: ato-bridge config check: {checked.stderr.strip()}")
    if not seen_tenants:
        problems.append("no group names a tenant")
    return problems


def check_loadtest_job(source_dir, bridge, sim):
    """deploy/kubernetes/loadtest-job.yaml: an indexed Job whose pods are the shards of one run."""
    problems = []
    with open(os.path.join(source_dir, "deploy", "kubernetes", "loadtest-job.yaml")) as f:
        documents = {d["kind"]: d for d in yaml.safe_load_all(f) if d}
    job, claim, config_map = documents["Job"], documents["PersistentVolumeClaim"], documents["ConfigMap"]
    spec = job["spec"]
    if spec.get("completionMode") != "Indexed":
        problems.append("loadtest Job: completionMode must be Indexed (the index is the shard)")
    shards = spec.get("completions")
    if spec.get("parallelism") != shards:
        problems.append(f"loadtest Job: parallelism {spec.get('parallelism')} != completions {shards}: "
                        "every shard must run at once to drive one schedule")
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    command = " ".join(container["command"])
    if f"--shard ${{JOB_COMPLETION_INDEX}}/{shards}" not in command:
        problems.append(f"loadtest Job: the command does not run --shard ${{JOB_COMPLETION_INDEX}}/{shards}")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    if f"--report {mounts.get('reports')}/shard-${{JOB_COMPLETION_INDEX}}.json" not in command:
        problems.append("loadtest Job: each shard must write its JSON report to the shared reports volume")
    volumes = {v["name"]: v for v in pod["volumes"]}
    if volumes["reports"].get("persistentVolumeClaim", {}).get("claimName") != claim["metadata"]["name"]:
        problems.append("loadtest Job: the reports volume is not the PersistentVolumeClaim in the file")
    if "ReadWriteMany" not in claim["spec"]["accessModes"]:
        problems.append("loadtest Job: the reports volume must be ReadWriteMany (all shards write at once)")
    if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
        problems.append("loadtest Job: the pod must run as non-root")
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "service-key.json")
        subprocess.run([sim, "sample-key", "--out", key], capture_output=True, check=True)
        config = json.loads(config_map["data"]["loadtest.json"])
        config["cloud_alm"]["service_key_file"] = key
        config["outbox"]["path"] = os.path.join(tmp, "outbox.db")
        local = os.path.join(tmp, "loadtest.json")
        with open(local, "w") as f:
            json.dump(config, f)
        env = dict(os.environ, **{t["password_env"]: "checked" for t in config["tenants"]})
        checked = subprocess.run([bridge, "config", "check", "--config", local], env=env, capture_output=True, text=True)
        if checked.returncode != 0:
            problems.append(f"loadtest.json: ato-bridge config check: {checked.stderr.strip()}")
    return problems


if __name__ == "__main__":
    found = main(*sys.argv[1:4]) + check_loadtest_job(*sys.argv[1:4])
    for p in found:
        print(p)
    print(f"deploy/kubernetes: {'OK' if not found else f'{len(found)} problem(s)'}")
    sys.exit(1 if found else 0)
