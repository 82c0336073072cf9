// Offline Kubernetes validation of rendered manifests (helm template output), for the Deploy tests.
// Usage: node validate-k8s.mjs <node_modules dir> <manifests.yaml> [--json out.json]
// Every object is validated against the Kubernetes OpenAPI schemas shipped in npm `kubernetes-models`
// (API version of the package: see its version). Kinds without a schema there (CRDs such as
// ServiceMonitor) are checked for apiVersion/kind/metadata.name only and listed as "crd".
// Prints one line per object ("ok Kind/name", "crd Kind/name" or "invalid Kind/name: reasons") and
// exits 1 when any object is invalid. With --json, also writes the objects as a JSON array.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, file, flag, jsonOut] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(modules, p)).href);
const YAML = await load('yaml/dist/index.js');
const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
const objects = [];
let failed = 0;
for (const doc of docs) {
  if (doc.errors.length) { console.log(`invalid YAML: ${doc.errors.map(e => e.message).join('; ')}`); failed++; continue; }
  const obj = doc.toJS();
  if (obj == null) continue;
  objects.push(obj);
  const id = `${obj.kind}/${obj.metadata?.name}`;
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) { console.log(`invalid ${id}: apiVersion, kind and metadata.name are required`); failed++; continue; }
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const dir = group ? join(group, version) : version;
  const modulePath = join('kubernetes-models', dir, `${obj.kind}.js`);
  if (!existsSync(join(modules, modulePath))) { console.log(`crd ${id} (${obj.apiVersion}: no schema offline)`); continue; }
  const mod = await load(modulePath);
  const Model = mod[obj.kind] ?? mod.default;
  try {
    new Model(obj).validate();
    console.log(`ok ${id}`);
  } catch (e) {
    failed++;
    const details = e.errors ? e.errors.map(x => `${x.instancePath || x.dataPath || ''} ${x.message}`).join('; ') : e.message;
    console.log(`invalid ${id}: ${details}`);
  }
}
if (flag === '--json') writeFileSync(jsonOut, JSON.stringify(objects));
process.exit(failed ? 1 : 0);
