#!/usr/bin/python3
"""The Kubernetes manifests in deploy/kubernetes hold together (ato-bridge.yaml, and the sharded load
test's loadtest-job.yaml: an indexed Job whose index is the shard, reports on a shared volume): they parse, every pod of the
StatefulSet has its group of tenants (bridge-N.json), no tenant is served by two pods, every secret a
configuration names is in the Secret, the probes and ports agree with the admin endpoint, each outbox
lies on the pod's own volume, and every bridge-N.json is a configuration `ato-bridge config check`
accepts without a warning (run against a sample service key); the admin endpoint needs a token and a
NetworkPolicy lets only the scraper reach it; the load-test Job runs against a Cloud ALM off the pod's
loopback (--allow-remote, a CA it can trust) and survives a lost pod; every manifest validates against
the schemas of Kubernetes with unknown fields refused (tests/kubernetes/validate.mjs). Exit 1 with one
line per problem.

usage: check_kubernetes.py SOURCE_DIR ATO_BRIDGE ATO_SIM BUILD_DIR
"""
import glob
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
            token_env = config.get("admin", {}).get("token_env")
            if not token_env:
                problems.append(f"{group}: the admin endpoint listens on the pod's address without admin.token_env")
            elif token_env not in secret_keys:
                problems.append(f"{group}: admin.token_env {token_env} is not in the Secret")
            else:
                env[token_env] = "checked-admin-token-0123456789"
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
            elif "Warnings:" in checked.stdout:
                problems.append(f"{group}: ato-bridge config check warns: {checked.stdout[checked.stdout.find('Warnings:'):].strip()}")
    if not seen_tenants:
        problems.append("no group names a tenant")
    return problems


def check_network_policy(source_dir):
    """The admin endpoint listens on the pod's address: a NetworkPolicy lets only the scraper in."""
    problems = []
    with open(os.path.join(source_dir, "deploy", "kubernetes", "ato-bridge.yaml")) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    stateful = next(d for d in documents if d["kind"] == "StatefulSet")
    labels = stateful["spec"]["template"]["metadata"]["labels"]
    policies = [d for d in documents if d["kind"] == "NetworkPolicy"]
    if not policies:
        return ["no NetworkPolicy: the admin endpoint on the pod's address would be open to the cluster"]
    policy = policies[0]["spec"]
    selected = policy.get("podSelector", {}).get("matchLabels", {})
    if not selected or any(labels.get(k) != v for k, v in selected.items()):
        problems.append("the NetworkPolicy does not select the bridge's pods")
    if "Ingress" not in policy.get("policyTypes", []):
        problems.append("the NetworkPolicy does not restrict ingress")
    for rule in policy.get("ingress", []):
        if not rule.get("from"):
            problems.append("a NetworkPolicy ingress rule admits every source")
        if [p.get("port") for p in rule.get("ports", [])] != [8690]:
            problems.append("a NetworkPolicy ingress rule admits more than the admin port")
    return problems


def check_schemas(source_dir, build_dir):
    """Every manifest against the schemas of Kubernetes (tests/kubernetes/validate.mjs, unknown fields
    refused); and the validator itself refuses a typo the schemas alone would let pass."""
    validator = os.path.join(build_dir, "kubernetes-validate", "validate.mjs")
    if not os.path.exists(os.path.join(build_dir, "kubernetes-validate", "node_modules")):
        return [f"{validator}: not set up (scripts/test runs npm ci for tests/kubernetes)"]
    manifests = sorted(glob.glob(os.path.join(source_dir, "deploy", "kubernetes", "*.yaml")))
    checked = subprocess.run(["node", validator, *manifests], capture_output=True, text=True, timeout=120)
    problems = [] if checked.returncode == 0 else [line for line in checked.stdout.splitlines() if line]
    if checked.returncode != 0 and not problems:
        problems.append(f"validate.mjs failed: {checked.stderr.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        typo = os.path.join(tmp, "typo.yaml")
        with open(os.path.join(source_dir, "deploy", "kubernetes", "ato-bridge.yaml")) as f:
            text = f.read()
        with open(typo, "w") as f:
            f.write(text.replace("podManagementPolicy:", "podManagmentPolicy:"))
        caught = subprocess.run(["node", validator, typo], capture_output=True, text=True, timeout=120)
        if caught.returncode == 0 or "podManagmentPolicy: unknown field" not in caught.stdout:
            problems.append(f"the schema check let a typo (podManagmentPolicy) pass: {caught.stdout}{caught.stderr}")
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
    # A Cloud ALM in the cluster is not the pod's loopback: loadtest refuses it without --allow-remote.
    if "--allow-remote" not in command:
        problems.append("loadtest Job: the Cloud ALM under test is not on the pod's loopback: --allow-remote is needed")
    # One lost pod (evicted) must not fail the run.
    if spec.get("backoffLimit", 6) < 1 and "podFailurePolicy" not in spec:
        problems.append("loadtest Job: backoffLimit 0 fails the Job at the first lost pod")
    ca_file = json.loads(config_map["data"]["loadtest.json"]).get("tls", {}).get("ca_file")
    if ca_file and not any(ca_file.startswith(path + "/") for path in mounts.values()):
        problems.append(f"loadtest Job: tls.ca_file {ca_file} is on no mounted volume")
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, "service-key.json")
        subprocess.run([sim, "sample-key", "--out", key], capture_output=True, check=True)
        config = json.loads(config_map["data"]["loadtest.json"])
        config["cloud_alm"]["service_key_file"] = key
        config["outbox"]["path"] = os.path.join(tmp, "outbox.db")
        if config.get("tls", {}).get("ca_file"):  # the mounted CA: a certificate of our own stands in
            ca = os.path.join(tmp, "ca.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ato-sim test CA",
                            "-keyout", os.path.join(tmp, "ca.key"), "-out", ca, "-days", "1"],
                           capture_output=True, check=True)
            config["tls"]["ca_file"] = ca
        local = os.path.join(tmp, "loadtest.json")
        with open(local, "w") as f:
            json.dump(config, f)
        env = dict(os.environ, **{t["password_env"]: "checked" for t in config["tenants"]})
        checked = subprocess.run([bridge, "config", "check", "--config", local], env=env, capture_output=True, text=True)
        if checked.returncode != 0:
            problems.append(f"loadtest.json: ato-bridge config check: {checked.stderr.strip()}")
    return problems


if __name__ == "__main__":
    found = (main(*sys.argv[1:4]) + check_loadtest_job(*sys.argv[1:4]) + check_network_policy(sys.argv[1]) +
             check_schemas(sys.argv[1], sys.argv[4]))
    for p in found:
        print(p)
    print(f"deploy/kubernetes: {'OK' if not found else f'{len(found)} problem(s)'}")
    sys.exit(1 if found else 0)
