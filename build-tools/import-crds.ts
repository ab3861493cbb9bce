/**
 * `npx projen import`: regenerates the Istio bindings in src/imports/ with `cdk8s import` from
 * the pinned Istio CRDs (imports/pins.json), read from ../shared or the pinned release and
 * checksum-verified. The CRD file itself is only written to a temporary directory.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT, readPinned } from './upstream';

async function main(): Promise<void> {
  const { text, source, pin } = await readPinned('istio-crds');
  const dir = mkdtempSync(join(tmpdir(), 'istio-crds-'));
  try {
    const file = join(dir, `istio-${pin.version}-crds.yaml`);
    writeFileSync(file, text);
    console.log(`cdk8s import of Istio ${pin.version} CRDs (from ${source})`);
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
