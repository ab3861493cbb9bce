import * as fs from 'fs';
import * as path from 'path';
import type { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { RuleObject, objectRef } from './rule';

/**
 * The construct path of every synthesized object, keyed by `Kind/namespace/name`: written beside
 * the manifests when cdk8s-cli runs validation plugins (it sets CDK8S_RECORD_CONSTRUCT_METADATA,
 * and writes its own construct-metadata.json, keyed by name alone, so two objects of one name
 * share one path there). The validation plugin reads it to name the construct of each finding.
 */
export const CONSTRUCT_PATHS_FILE = 'secure-mesh-constructs.json';

/** Writes {@link CONSTRUCT_PATHS_FILE} into the app's output directory, when cdk8s-cli asks for construct metadata. */
export function writeConstructPaths(root: IConstruct, rendered: readonly { readonly apiObject: ApiObject; readonly object: RuleObject }[]): void {
  // The root is a cdk8s App when it has an output directory (no import of cdk8s: the CLI reads this module too).
  const outdir = (root as { outdir?: unknown }).outdir;
  if (process.env.CDK8S_RECORD_CONSTRUCT_METADATA !== 'true' || typeof outdir !== 'string') return;
  const objects: { [ref: string]: string } = {};
  for (const ref of rendered.map((r) => [objectRef(r.object), r.apiObject.node.path] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    objects[ref[0]] = ref[1];
  }
  fs.mkdirSync(outdir, { recursive: true });
  fs.writeFileSync(path.join(outdir, CONSTRUCT_PATHS_FILE), `${JSON.stringify({ version: 1, objects }, null, 2)}\n`);
}

/**
 * The construct paths recorded beside the given manifest files (`Kind/namespace/name` -> path);
 * empty where synthesis recorded none (the audit of YAML from elsewhere).
 */
export function readConstructPaths(manifestFiles: readonly string[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const dir of new Set(manifestFiles.map((f) => path.dirname(f)))) {
    const file = path.join(dir, CONSTRUCT_PATHS_FILE);
    if (!fs.existsSync(file)) continue;
    try {
      const recorded = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const [ref, constructPath] of Object.entries(recorded?.objects ?? {})) {
        if (typeof constructPath === 'string') paths.set(ref, constructPath);
      }
    } catch {
      // A damaged file names no construct; the findings still name the objects.
    }
  }
  return paths;
}
