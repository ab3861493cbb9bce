import { execFileSync } from 'child_process';
import { join } from 'path';

/**
 * `npm run bench`: synth benchmarks as same-run ratios (absolute times on shared machines are
 * noise). Each measurement runs in its own process (worker.ts) so peak RSS is its own; each is
 * repeated and the median taken. Targets (issue "Performance at platform scale"):
 * - library / plain ≤ 1.3 at 1,000 services;
 * - time(5,000) / time(1,000) ≤ 5.5 (linear);
 * - peak RSS ≤ 1.5 GB at 5,000;
 * - synth-time rule enforcement adds ≤ 20 % to synth at 1,000 (library vs the same synth with no rules);
 * - audit of the 5,000-service YAML ≤ 2x only parsing it with the same parser;
 * - the full access matrix for 1,000 services ≤ 3x parsing its YAML.
 * Prints PASS/MISS per target; exits non-zero on a miss only with --strict.
 */
interface Sample { readonly mode: string; readonly services: number; readonly ms: number; readonly objects: number; readonly peakRssMb: number }

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);

function measure(mode: string, services: number): Sample {
  const runs: Sample[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const out = execFileSync(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', join(__dirname, 'worker.ts'), mode, String(services)],
      { encoding: 'utf8', maxBuffer: 1 << 26, cwd: join(__dirname, '..') });
    runs.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  runs.sort((a, b) => a.ms - b.ms);
  const median = runs[Math.floor(runs.length / 2)];
  return { ...median, peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)) };
}

const results = new Map<string, Sample>();
for (const size of SIZES) {
  for (const mode of ['library', 'plain', 'norules']) {
    const s = measure(mode, size);
    results.set(`${mode}:${size}`, s);
    process.stderr.write(`${mode.padEnd(8)} ${String(size).padStart(5)} services: ${s.objects} objects, ${s.ms.toFixed(0)} ms, peak ${s.peakRssMb} MB\n`);
  }
}

const AUDIT_SIZE = Number(process.env.BENCH_AUDIT_SIZE ?? 5000);
const MATRIX_SIZE = Number(process.env.BENCH_MATRIX_SIZE ?? 1000);
for (const [mode, size] of [['parse', AUDIT_SIZE], ['audit', AUDIT_SIZE], ['parse', MATRIX_SIZE], ['matrix', MATRIX_SIZE]] as const) {
  if (results.has(`${mode}:${size}`)) continue;
  const s = measure(mode, size);
  results.set(`${mode}:${size}`, s);
  process.stderr.write(`${mode.padEnd(8)} ${String(size).padStart(5)} services: ${s.objects} objects, ${s.ms.toFixed(0)} ms, peak ${s.peakRssMb} MB\n`);
}

const get = (mode: string, size: number) => results.get(`${mode}:${size}`);
const lines: string[] = [];
const targets: { name: string; value: number | undefined; limit: number }[] = [];
for (const size of SIZES) {
  const lib = get('library', size)!;
  const plain = get('plain', size)!;
  const norules = get('norules', size)!;
  lines.push(`${String(size).padStart(5)} services | ${String(lib.objects).padStart(6)} objects | library/plain ${(lib.ms / plain.ms).toFixed(2)} | `
    + `${Math.round(lib.objects / (lib.ms / 1000))} objects/s | rules add ${(((lib.ms - norules.ms) / norules.ms) * 100).toFixed(0)} % | peak ${lib.peakRssMb} MB`);
}
if (get('library', 1000) && get('plain', 1000)) targets.push({ name: 'library / plain at 1,000 services', value: get('library', 1000)!.ms / get('plain', 1000)!.ms, limit: 1.3 });
if (get('library', 1000) && get('library', 5000)) targets.push({ name: 'time(5,000) / time(1,000)', value: get('library', 5000)!.ms / get('library', 1000)!.ms, limit: 5.5 });
if (get('library', 5000)) targets.push({ name: 'peak RSS at 5,000 services (GB)', value: get('library', 5000)!.peakRssMb / 1024, limit: 1.5 });
targets.push({ name: `audit / parse at ${AUDIT_SIZE} services`, value: get('audit', AUDIT_SIZE)!.ms / get('parse', AUDIT_SIZE)!.ms, limit: 2 });
targets.push({ name: `access matrix / parse at ${MATRIX_SIZE} services`, value: get('matrix', MATRIX_SIZE)!.ms / get('parse', MATRIX_SIZE)!.ms, limit: 3 });
if (get('norules', 1000) && get('library', 1000)) {
  targets.push({ name: 'what rule enforcement adds to synth at 1,000', value: (get('library', 1000)!.ms - get('norules', 1000)!.ms) / get('norules', 1000)!.ms, limit: 0.2 });
}

process.stderr.write('\n');
console.log('Synth benchmark (median of', REPEATS, 'runs per point)');
lines.forEach((l) => console.log(l));
console.log('\nTargets');
let missed = 0;
for (const t of targets) {
  const ok = t.value !== undefined && t.value <= t.limit;
  if (!ok) missed++;
  console.log(`${ok ? 'PASS' : 'MISS'}  ${t.name}: ${t.value?.toFixed(2)} (target ≤ ${t.limit})`);
}
if (missed > 0 && process.argv.includes('--strict')) process.exit(1);
