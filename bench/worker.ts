import { performance } from 'perf_hooks';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { libraryApp, plainApp } from './blueprint';
import { plainBlueprintApp } from './plain-blueprint';
import { AccessMatrix } from '../src/audit/access-matrix';
import { auditManifests } from '../src/audit/audit';
import { parseManifests } from '../src/audit/manifest-loader';
import { PolicyRule } from '../src/policy/rule';
import { ALL_RULES } from '../src/policy/rule-pack';

/**
 * Measurements in a fresh process: `worker.ts <mode> <services>` prints one JSON line.
 *
 * Cold, one run (a start like `cdk8s synth`'s; peak RSS is the run's own), `{ ms, objects, peakRssMb }`:
 * - library: build the blueprint with the library and synthesize it to YAML;
 * - plain: the baseline, the same blueprint written by hand as plain cdk8s (plain-blueprint.ts):
 *   it builds the identical documents as ApiObjects and synthesizes them;
 * - prebuilt: only wrap and synthesize documents built before the timer starts (the baseline of
 *   earlier figures, kept for comparison: it leaves out creating the documents);
 * - parse / audit / matrix: parse the library's YAML, audit it, or compute its access matrix.
 *
 * In one process, `{ rounds: [{ library, plain, norules }, ...] }` in ms:
 * - inprocess: after one warm-up synth of each, `IN_PROCESS_ROUNDS` rounds of the library, the
 *   plain baseline and the library with an empty rule set (norules: library − norules is what the
 *   rules add), in a rotating order; the synchronous run ends after each synth and a full GC
 *   runs before each.
 */
const [mode, count] = [process.argv[2], Number(process.argv[3])];
const IN_PROCESS_ROUNDS = 3;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);

function synth(app: App): number {
  return app.synthYaml().split('\n---\n').length;
}

/** Runs `f` after a full GC and returns its time in ms. */
function timed(f: () => void): number {
  if (global.gc) global.gc();
  const start = performance.now();
  f();
  return performance.now() - start;
}

const allRules = [...ALL_RULES];
function withRules(rules: readonly PolicyRule[], f: () => void): void {
  (ALL_RULES as PolicyRule[]).splice(0, ALL_RULES.length, ...rules);
  try {
    f();
  } finally {
    (ALL_RULES as PolicyRule[]).splice(0, ALL_RULES.length, ...allRules);
  }
}

const runners: Record<string, () => void> = {
  library: () => synth(libraryApp(count)),
  plain: () => synth(plainBlueprintApp(count)),
  norules: () => withRules([], () => synth(libraryApp(count))),
};

/** Lets the synchronous run end between synths (as it does when a `cdk8s synth` process exits), so nothing of one app outlives it. */
const endOfRun = () => new Promise((resolve) => setImmediate(resolve));

async function inProcessRounds(): Promise<Record<string, number>[]> {
  const names = Object.keys(runners);
  for (const name of names) {
    runners[name]();
    await endOfRun();
  }
  const rounds: Record<string, number>[] = [];
  for (let r = 0; r < IN_PROCESS_ROUNDS; r++) {
    const round: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length];
      round[name] = timed(runners[name]);
      await endOfRun();
    }
    rounds.push(round);
  }
  return rounds;
}

async function measure(): Promise<object> {
  if (mode === 'library' || mode === 'plain') {
    let objects = 0;
    const ms = timed(() => { objects = synth(mode === 'library' ? libraryApp(count) : plainBlueprintApp(count)); });
    return { ms, objects };
  }
  if (mode === 'prebuilt') {
    const documents = libraryApp(count).charts.flatMap((c) => c.toJson());
    if (global.gc) global.gc();
    peak = process.memoryUsage().rss;
    let objects = 0;
    const ms = timed(() => { objects = synth(plainApp(documents)); });
    return { ms, objects };
  }
  if (mode === 'inprocess') {
    return { rounds: await inProcessRounds() };
  }
  if (mode === 'parse' || mode === 'audit' || mode === 'matrix') {
    // The audit and the matrix over the library's YAML, against only parsing that YAML with the same parser.
    const text = libraryApp(count).synthYaml();
    let objects = 0;
    const ms = timed(() => {
      if (mode === 'parse') {
        objects = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean).length;
        return;
      }
      const { manifests } = parseManifests(text, 'bench.yaml');
      objects = manifests.length;
      if (mode === 'audit') {
        auditManifests(manifests, { today: '2026-11-29' });
      } else {
        AccessMatrix.fromManifests(manifests.map((m) => m.object), { workloads: [] }).edges();
      }
    });
    return { ms, objects };
  }
  throw new Error(`unknown mode ${mode}`);
}

void measure().then((result) => {
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(JSON.stringify({ mode, services: count, ...result, peakRssMb: Math.round(peak / 1048576) }) + '\n');
});
