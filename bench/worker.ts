import { performance } from 'perf_hooks';
import { App } from 'cdk8s';
import { libraryApp, plainApp } from './blueprint';
import { parseAllDocuments } from 'yaml';
import { AccessMatrix } from '../src/audit/access-matrix';
import { auditManifests } from '../src/audit/audit';
import { parseManifests } from '../src/audit/manifest-loader';
import { PolicyRule } from '../src/policy/rule';
import { ALL_RULES } from '../src/policy/rule-pack';

/**
 * One measurement in a fresh process (so peak RSS belongs to it alone):
 * `worker.ts <mode> <services>` prints JSON `{ ms, objects, peakRssMb }`.
 * - library: build the blueprint with the library and synthesize it to YAML;
 * - plain: synthesize the identical documents as plain ApiObjects;
 * - norules: the library synth with the rule set emptied (what the synth costs without rules);
 * - parse / audit / matrix: parse the library's YAML, audit it, or compute its access matrix.
 */
const [mode, count] = [process.argv[2], Number(process.argv[3])];
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);

function synth(app: App): number {
  return app.synthYaml().split('\n---\n').length;
}

let ms = 0;
let objects = 0;
if (mode === 'library') {
  const start = performance.now();
  objects = synth(libraryApp(count));
  ms = performance.now() - start;
} else if (mode === 'plain') {
  const documents = libraryApp(count).charts.flatMap((c) => c.toJson());
  if (global.gc) global.gc();
  peak = process.memoryUsage().rss;
  const start = performance.now();
  objects = synth(plainApp(documents));
  ms = performance.now() - start;
} else if (mode === 'norules') {
  // The library synth with an empty rule set: enforcement still renders and hands off, so
  // library − norules is what the rules add to a synth.
  (ALL_RULES as PolicyRule[]).length = 0;
  const start = performance.now();
  objects = synth(libraryApp(count));
  ms = performance.now() - start;
} else if (mode === 'parse' || mode === 'audit' || mode === 'matrix') {
  // The audit and the matrix over the library's YAML, against only parsing that YAML with the same parser.
  const text = libraryApp(count).synthYaml();
  if (global.gc) global.gc();
  const start = performance.now();
  if (mode === 'parse') {
    objects = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean).length;
  } else {
    const { manifests } = parseManifests(text, 'bench.yaml');
    objects = manifests.length;
    if (mode === 'audit') {
      auditManifests(manifests, { today: '2026-11-29' });
    } else {
      AccessMatrix.fromManifests(manifests.map((m) => m.object), {
        workloads: [],
      }).edges();
    }
  }
  ms = performance.now() - start;
} else {
  throw new Error(`unknown mode ${mode}`);
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(JSON.stringify({ mode, services: count, ms, objects, peakRssMb: Math.round(peak / 1048576) }) + '\n');
