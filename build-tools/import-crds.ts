/**
 * `npx projen import`: regenerates what the project derives from the pinned Istio CRDs
 * (imports/pins.json), read from ../shared or the pinned release and checksum-verified:
 *
 * - src/imports/*.ts: the typed bindings, with `cdk8s import` (Istio's groups, and
 *   gateway.networking.k8s.io from the pinned Gateway API release);
 * - schemas/istio-crds.json: every served CRD version (group, version, kind, plural, scope,
 *   OpenAPI v3 schema with its CEL rules) and the release and checksum it came from: what the
 *   validation harness checks Istio objects against. Shipped in the package.
 * - schemas/gateway-api-crds.json: the same for the pinned Gateway API release (the version
 *   Istio uses), so the harness validates Gateway, HTTPRoute and the other standard kinds.
 *
 * Both are committed; the CRD file itself is only written to a temporary directory. A test
 * (test/validation/crd-catalog.test.ts) checks the committed schemas against the pinned file.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT, readPinned } from './upstream';
import { servedCrdVersions } from '../src/validation/crd-versions';

async function main(): Promise<void> {
  const { text, source, pin } = await readPinned('istio-crds');
  cdk8sImport(text, `istio-${pin.version}-crds.yaml`, `Istio ${pin.version}`, source);
  const versions = servedCrdVersions(text);
  mkdirSync(join(ROOT, 'schemas'), { recursive: true });
  // One key per line: reviewable diffs when the pin moves.
  writeFileSync(join(ROOT, 'schemas', 'istio-crds.json'), `${JSON.stringify({
    generatedFrom: { project: pin.project, version: pin.version, url: pin.url, sha256: pin.sha256 },
    versions,
  }, null, 1)}\n`);
  console.log(`schemas/istio-crds.json: ${versions.length} served CRD versions of Istio ${pin.version}`);

  const gatewayApi = await readPinned('gateway-api-crds');
  cdk8sImport(gatewayApi.text, `gateway-api-${gatewayApi.pin.version}-crds.yaml`, `Gateway API ${gatewayApi.pin.version}`, gatewayApi.source);
  const gatewayVersions = servedCrdVersions(gatewayApi.text);
  writeFileSync(join(ROOT, 'schemas', 'gateway-api-crds.json'), `${JSON.stringify({
    generatedFrom: { project: gatewayApi.pin.project, version: gatewayApi.pin.version, url: gatewayApi.pin.url, sha256: gatewayApi.pin.sha256 },
    versions: gatewayVersions,
  }, null, 1)}\n`);
  console.log(`schemas/gateway-api-crds.json: ${gatewayVersions.length} served CRD versions of Gateway API ${gatewayApi.pin.version} (from ${gatewayApi.source})`);
}

/** `cdk8s import` of a CRD file into src/imports (one module per API group), from a temporary copy. */
function cdk8sImport(text: string, fileName: string, what: string, source: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'crds-'));
  try {
    const file = join(dir, fileName);
    writeFileSync(file, text);
    console.log(`cdk8s import of ${what} CRDs (from ${source})`);
    const cdk8s = join(ROOT, 'node_modules', '.bin', 'cdk8s');
    const result = spawnSync(cdk8s, ['import', '--language', 'typescript', '--output', 'src/imports', file], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`cdk8s import exited with ${result.status ?? result.signal}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`import: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
