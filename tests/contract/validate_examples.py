#!/usr/bin/python3
"""Contract test: every example in schema/examples/ is checked against its JSON Schema.

`<schema>.<case>.valid.json` must validate, `<schema>.<case>.invalid.json` must not (a file is matched to
the schema whose name is its longest prefix, so `push-package-export.valid.json` belongs to
push-package). Every schema needs at least one example of each kind, every invalid example needs its
expected C++ error in expected-errors.json (the C++ side of this test checks that), and the OpenAPI
documents may only reference schemas that exist. Prints 'N passed, N failed' and exits non-zero on failure.
"""
import datetime
import json
import pathlib
import sys

import jsonschema

# validate_examples.py [ROOT]                      the examples and OpenAPI documents
# validate_examples.py ROOT --documents DIR        every DIR/<schema>.<n>.json must be valid (test captures)
ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
DOCUMENTS = pathlib.Path(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--documents" else None
SCHEMAS = ROOT / "schema" / "json"
EXAMPLES = ROOT / "schema" / "examples"
OPENAPI = ROOT / "schema" / "openapi"

passed, failed = 0, 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


# Debian 12 does not package rfc3339-validator, which jsonschema uses for date-time: check it ourselves.
format_checker = jsonschema.FormatChecker()


@format_checker.checks("date-time", raises=ValueError)
def is_date_time(text):
    if not isinstance(text, str):
        return True
    datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return True


schemas = {}
for path in sorted(SCHEMAS.glob("*.schema.json")):
    schema = json.loads(path.read_text(encoding="utf-8"))
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        check(True, path.name)
    except jsonschema.SchemaError as error:
        check(False, f"{path.name} is not a valid 2020-12 schema: {error.message}")
    schemas[path.name.removesuffix(".schema.json")] = schema
store = {schema["$id"]: schema for schema in schemas.values()}


def validator_for(name):
    schema = schemas[name]
    resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver, format_checker=format_checker)


if DOCUMENTS is not None:
    documents = sorted(DOCUMENTS.glob("*.json"))
    check(bool(documents), f"no documents to validate in {DOCUMENTS}")
    for path in documents:
        owners = [n for n in schemas if path.name.startswith(n + ".")]
        if not owners:
            check(False, f"{path.name}: no schema named by its prefix")
            continue
        name = max(owners, key=len)
        errors = list(validator_for(name).iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        check(not errors, f"{path.name} is not valid against {name}: {[e.message for e in errors][:3]}")
    print(f"documents: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

expected_errors = json.loads((EXAMPLES / "expected-errors.json").read_text(encoding="utf-8"))
seen = {name: {"valid": 0, "invalid": 0} for name in schemas}
for path in sorted(EXAMPLES.glob("*.json")):
    if path.name == "expected-errors.json":
        continue
    kind = "valid" if path.name.endswith(".valid.json") else "invalid" if path.name.endswith(".invalid.json") else None
    owners = [n for n in schemas if path.name.startswith(n + ".") or path.name.startswith(n + "-")]
    if kind is None or not owners:
        check(False, f"{path.name}: name must be <schema>[-variant].<case>.valid|invalid.json")
        continue
    name = max(owners, key=len)
    seen[name][kind] += 1
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        errors = list(validator_for(name).iter_errors(document))
    except json.JSONDecodeError as error:
        errors = [f"not JSON: {error}"]
    if kind == "valid":
        check(not errors, f"{path.name} should be valid against {name}: {[getattr(e, 'message', e) for e in errors][:3]}")
    else:
        check(bool(errors), f"{path.name} should be rejected by {name}, but it validates")
        check(path.name in expected_errors, f"{path.name} has no entry in expected-errors.json")

# Shipped recordings: every line a valid recording line.
for path in sorted((ROOT / "simulator" / "recordings").glob("*.ndjson")):
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    check(bool(lines), f"{path.name} is empty")
    bad = [i + 1 for i, l in enumerate(lines) if list(validator_for("recording-line").iter_errors(json.loads(l)))]
    check(not bad, f"{path.name}: lines {bad[:5]} are not valid recording lines")

for name in expected_errors:
    check((EXAMPLES / name).is_file(), f"expected-errors.json names {name}, which does not exist")
for name, counts in seen.items():
    check(counts["valid"] > 0, f"schema {name} has no valid example")
    check(counts["invalid"] > 0, f"schema {name} has no invalid example")


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


for path in sorted(OPENAPI.glob("*.json")):
    document = json.loads(path.read_text(encoding="utf-8"))
    check(document.get("openapi", "").startswith("3.1"), f"{path.name}: expected openapi 3.1.x")
    for ref in refs(document):
        if ref.startswith("#"):
            target = document
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, dict) else None
            check(target is not None, f"{path.name}: dangling reference {ref}")
        else:
            file = ref.split("#")[0]
            check((path.parent / file).resolve().is_file(), f"{path.name}: reference to missing {file}")

# Every path the simulator serves is described (simulator/alm/cloud_alm.cpp, simulator/ato/feed.cpp).
SERVED = {
    "cloud-alm.openapi.json": {
        "/oauth/token", "/token_keys", "/api/calm-deployments/v1/ato/exports",
        "/api/calm-deployments/v1/ato/imports", "/api/calm-deployments/v1/ato/status-changes",
        "/api/calm-lms/v1/ato/register", "/api/calm-lms/v1/ato/offboard", "/api/calm-lms/v1/ato/Systems",
        "/api/calm-features/v1/$metadata", "/api/calm-features/v1/Features", "/api/calm-features/v1/Features({key})",
        "/api/calm-features/v1/Features({key})/deploy", "/api/calm-features/v1/Features({key})/createTransport",
        "/api/calm-features/v1/Transports",
        "/api/calm-features/v1/Transports({key})", "/api/calm-features/v1/TransportReferences",
        "/api/calm-features/v1/TransportReferences({key})", "/api/calm-features/v1/FeatureStatus",
        "/api/calm-features/v1/FeaturePriorities", "/api/calm-features/v1/URLReferences",
        "/api/calm-features/v1/URLReferences({key})", "/api/calm-features/v1/ExternalReferences",
        "/api/calm-features/v1/ExternalReferences({key})", "/api/calm-features/v1/TaskAssignments",
        "/api/calm-features/v1/", "/api/calm-features/v1/{set}/$count", "/.well-known/openid-configuration",
        "/SAPCALM/calm-features/v1/{path}",
        "/sim/transports", "/sim/stats", "/sim/journal", "/sim/faults", "/sim/reset",
    },
    "ato-feed.openapi.json": {
        "/tenants/{tenant}/sap/opu/odata4/ato/feed/v1/Events", "/tenants/{tenant}/sap/opu/odata4/ato/feed/v1/Systems",
        "/tenants/{tenant}/sap/opu/odata4/ato/feed/v1/$metadata", "/tenants/{tenant}/sap/opu/odata4/ato/feed/v1/Events/$count", "/sim/ato/stats", "/sim/ato/history.ndjson",
        "/sim/ato/events", "/sim/ato/tenants/{tenant}/activate", "/sim/ato/transports/{transport}/release",
    },
}
for name, served in SERVED.items():
    described = set(json.loads((OPENAPI / name).read_text(encoding="utf-8"))["paths"])
    check(served <= described, f"{name}: paths served but not described: {sorted(served - described)}")

print(f"contract: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
