import { execFileSync } from 'child_process';
import { join } from 'path';

/**
 * `npm run bench`: synth benchmarks as same-run ratios (absolute times on shared machines are
 * noise). Each measurement runs in its own process (worker.ts) so peak RSS is its own; each is
 * repeated and the median taken. Targets (issue "Performance at platform scale"):
 * - library / plain ≤ 1.3 at 1,000 services;
 * - time(5,000) / time(1,000) ≤ 5.5 (linear);
 * - peak RSS ≤ 1.5 GB at 5,000;
 * - synth-time rule enforcement ≤ 20 % of synth at 1,000.
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
  for (const mode of ['library', 'plain', 'rules']) {
    const s = measure(mode, size);
    results.set(`${mode}:${size}`, s);
    process.stderr.write(`${mode.padEnd(8)} ${String(size).padStart(5)} services: ${s.objects} objects, ${s.ms.toFixed(0)} ms, peak ${s.peakRssMb} MB\n`);
  }
}

const get = (mode: string, size: number) => results.get(`${mode}:${size}`);
const lines: string[] = [];
const targets: { name: string; value: number | undefined; limit: number }[] = [];
for (const size of SIZES) {
  const lib = get('library', size)!;
  const plain = get('plain', size)!;
  const rules = get('rules', size)!;
  lines.push(`${String(size).padStart(5)} services | ${String(lib.objects).padStart(6)} objects | library/plain ${(lib.ms / plain.ms).toFixed(2)} | `
    + `${Math.round(lib.objects / (lib.ms / 1000))} objects/s | rules ${((rules.ms / lib.ms) * 100).toFixed(0)} % of synth | peak ${lib.peakRssMb} MB`);
}
if (get('library', 1000) && get('plain', 1000)) targets.push({ name: 'library / plain at 1,000 services', value: get('library', 1000)!.ms / get('plain', 1000)!.ms, limit: 1.3 });
if (get('library', 1000) && get('library', 5000)) targets.push({ name: 'time(5,000) / time(1,000)', value: get('library', 5000)!.ms / get('library', 1000)!.ms, limit: 5.5 });
if (get('library', 5000)) targets.push({ name: 'peak RSS at 5,000 services (GB)', value: get('library', 5000)!.peakRssMb / 1024, limit: 1.5 });
if (get('rules', 1000) && get('library', 1000)) targets.push({ name: 'rule enforcement share at 1,000', value: get('rules', 1000)!.ms / get('library', 1000)!.ms, limit: 0.2 });

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
