/**
 * Pinned upstream inputs (imports/pins.json): where the build finds them and how it proves they
 * are the pinned bytes. Upstream files are never committed; they are read from `../shared/<path>`
 * beside the clone (as in CI), from `$SECURE_MESH_SHARED/<path>`, or downloaded from the pinned
 * release where a network is available. A file whose SHA-256 differs from the pin is refused.
 */
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';

export const ROOT = resolve(__dirname, '..');

export interface Pin {
  readonly project: string;
  readonly version: string;
  /** Path under the shared directory. */
  readonly path: string;
  readonly url: string;
  readonly sha256: string;
}

export function pins(): { readonly [name: string]: Pin } {
  const all = JSON.parse(readFileSync(join(ROOT, 'imports', 'pins.json'), 'utf8'));
  delete all.$comment;
  return all;
}

export function pin(name: string): Pin {
  const p = pins()[name];
  if (!p) throw new Error(`imports/pins.json has no entry "${name}"`);
  return p;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Directories searched for pinned files, in order. */
export function sharedDirs(): string[] {
  return [process.env.SECURE_MESH_SHARED, join(ROOT, '..', 'shared')].filter((d): d is string => !!d);
}

/** The local copy of a pinned file, or undefined when none of the shared directories has it. */
export function localCopy(p: Pin): string | undefined {
  for (const dir of sharedDirs()) {
    const file = join(dir, p.path);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The pinned file's contents, verified against its checksum. */
export async function readPinned(name: string): Promise<{ text: string; source: string; pin: Pin }> {
  const p = pin(name);
  const file = localCopy(p);
  let data: Buffer;
  let source: string;
  if (file) {
    data = readFileSync(file);
    source = file;
  } else {
    let response: Response;
    try {
      response = await fetch(p.url);
    } catch (e) {
      throw new Error(`${name} ${p.version}: not found in ${sharedDirs().map((d) => join(d, p.path)).join(' or ')}, and downloading ${p.url} failed `
        + `(${(e as Error).message}). Put the pinned file beside the clone (../shared/${p.path}) or set SECURE_MESH_SHARED.`);
    }
    if (!response.ok) throw new Error(`${name} ${p.version}: downloading ${p.url} answered ${response.status}`);
    data = Buffer.from(await response.arrayBuffer());
    source = p.url;
  }
  const actual = sha256(data);
  if (actual !== p.sha256) {
    throw new Error(`${name} ${p.version}: ${source} has SHA-256 ${actual}, but imports/pins.json pins ${p.sha256}. `
      + 'Use the pinned file, or update the pin deliberately (see imports/README.md).');
  }
  return { text: data.toString('utf8'), source, pin: p };
}
