import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';

/**
 * What importing the package root costs an app that only builds constructs: a whole `node`
 * process that requires cdk8s, cdk8s-plus-27 and the compiled root (lib/index.js, as users load
 * it), against the same process without the root. Rounds alternate the two, and the result is the
 * median of the per-round differences (seconds), so both sides of each difference ran seconds apart.
 */
const ROOT = join(__dirname, '..');
const LIB = join(ROOT, 'lib', 'index.js');

function processSeconds(modules: readonly string[]): number {
  const code = modules.map((m) => `require(${JSON.stringify(m)});`).join('');
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`node -e ${code} failed: ${result.stderr}`);
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `{ base, withRoot, added }` in seconds (medians), over `rounds` alternating rounds. */
export function importCost(rounds: number): { base: number; withRoot: number; added: number } {
  if (!existsSync(LIB)) throw new Error(`${LIB} is missing: run "npx projen compile" first`);
  const base: number[] = [];
  const withRoot: number[] = [];
  processSeconds(['cdk8s', 'cdk8s-plus-27', LIB]); // warm the file system cache
  for (let r = 0; r < rounds; r++) {
    const pair = r % 2 === 0 ? [false, true] : [true, false];
    for (const root of pair) (root ? withRoot : base).push(processSeconds(root ? ['cdk8s', 'cdk8s-plus-27', LIB] : ['cdk8s', 'cdk8s-plus-27']));
  }
  return { base: median(base), withRoot: median(withRoot), added: median(withRoot.map((w, i) => w - base[i])) };
}

if (require.main === module) {
  const { base, withRoot, added } = importCost(Number(process.env.BENCH_IMPORT_ROUNDS ?? 9));
  console.log(`cdk8s + cdk8s-plus-27: ${base.toFixed(3)} s; with cdk8s-secure-mesh: ${withRoot.toFixed(3)} s; the root adds ${added.toFixed(3)} s`);
}
