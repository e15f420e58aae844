// Validates Kubernetes manifests against the schemas of Kubernetes itself (kubernetes-models, pinned in
// package-lock.json), and refuses fields those schemas do not name: the schemas allow unknown fields,
// so a typo such as `podManagmentPolicy` would pass them, while the API server drops it silently.
// Strictness: each object is watched while the schema's validator reads it; a field the validator never
// asked for is one the schema does not know (maps such as labels are read whole and allow any key).
//
// usage: node validate.mjs FILE.yaml...   (exit 1 and one line per problem when any is found)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const modelsDir = require.resolve("kubernetes-models/package.json").replace(/package\.json$/, "");

// apiVersion and kind -> the schema module: v1 Pod -> IoK8sApiCoreV1Pod, apps/v1 StatefulSet ->
// IoK8sApiAppsV1StatefulSet, networking.k8s.io/v1 NetworkPolicy -> IoK8sApiNetworkingV1NetworkPolicy.
function schemaName(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const groupName = group.replace(/\.k8s\.io$/, "").split(".").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
  return `IoK8sApi${groupName}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}

// A proxy that records which fields a validator reads of each object.
function watched(value, path, seen) {
  if (value === null || typeof value !== "object") return value;
  const record = { path, value, read: new Set(), whole: false };
  seen.push(record);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") record.read.add(key);
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || v === null || typeof v !== "object") return v;
      if (!children.has(key)) children.set(key, watched(v, `${path}/${key}`, seen));
      return children.get(key);
    },
    ownKeys(target) {
      record.whole = true;  // iterated: a map, or every key checked against additionalProperties
      return Reflect.ownKeys(target);
    },
    has(target, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
  });
}

const problems = [];
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length) {
      problems.push(`${file} document ${index + 1}: not YAML: ${doc.errors[0].message}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue;
    const where = `${file}: ${object.kind ?? "?"} ${object.metadata?.name ?? "?"}`;
    if (!object.apiVersion || !object.kind) {
      problems.push(`${where}: no apiVersion or kind`);
      continue;
    }
    let validate;
    try {
      ({ validate } = await import(`${modelsDir}_schemas/${schemaName(object.apiVersion, object.kind)}.js`));
    } catch {
      problems.push(`${where}: ${object.apiVersion} ${object.kind} is not a kind Kubernetes knows`);
      continue;
    }
    const seen = [];
    if (!validate(watched(object, "", seen)))
      for (const e of validate.errors) problems.push(`${where}: ${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
    for (const record of seen) {
      if (record.whole || Array.isArray(record.value)) continue;
      for (const key of Object.keys(record.value))
        if (!record.read.has(key)) problems.push(`${where}: ${record.path}/${key}: unknown field (not in the ${object.kind} schema)`);
    }
  }
}
for (const p of problems) console.log(p);
if (problems.length) process.exit(1);
console.log(`ok: ${process.argv.length - 2} file(s) valid against the Kubernetes schemas, no unknown fields`);
