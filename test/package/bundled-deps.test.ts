import * as fs from 'fs';
import * as path from 'path';

/**
 * npm does not install the peer dependencies of bundled packages, and users install only what
 * the tarball carries plus the library's own dependencies. So every package the tarball bundles
 * (and everything those pull in) must find each of its required peers among the bundled
 * packages or the library's own peer dependencies. @bufbuild/cel's peer @bufbuild/protobuf was
 * missing once, and `require('cdk8s-secure-mesh')` failed for every user; it is now vendored
 * (generated/vendor/cel.js), and this test keeps the rest honest.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface Manifest {
  readonly name: string;
  readonly dependencies?: { [name: string]: string };
  readonly optionalDependencies?: { [name: string]: string };
  readonly peerDependencies?: { [name: string]: string };
  readonly peerDependenciesMeta?: { [name: string]: { optional?: boolean } };
}

/** The installed directory of `name` as Node resolves it from `from`. */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Every package the tarball carries under node_modules: the bundled ones and their dependencies. */
function bundledClosure(): Map<string, Manifest> {
  const seen = new Map<string, Manifest>();
  const visit = (name: string, from: string) => {
    const dir = packageDir(name, from);
    if (!dir) throw new Error(`${name} (needed from ${from}) is not installed`);
    if (seen.has(dir)) return;
    const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    seen.set(dir, manifest);
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      if (manifest.optionalDependencies?.[dep] !== undefined && !packageDir(dep, dir)) continue;
      visit(dep, dir);
    }
  };
  for (const name of pkg.bundledDependencies) visit(name, ROOT);
  return seen;
}

describe('the published package installs what it needs', () => {
  const closure = bundledClosure();
  const available = new Set([...closure.values()].map((m) => m.name).concat(Object.keys(pkg.peerDependencies ?? {})));

  test('every runtime dependency is bundled (npm installs nothing else for a jsii library)', () => {
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...pkg.bundledDependencies].sort());
  });

  test('every required peer of a bundled package is bundled too, or a peer of the library', () => {
    const missing: string[] = [];
    for (const manifest of closure.values()) {
      for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
        if (manifest.peerDependenciesMeta?.[peer]?.optional) continue;
        if (!available.has(peer)) missing.push(`${manifest.name} needs ${peer}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('the packages vendored into generated/vendor are not runtime dependencies', () => {
    for (const vendored of ['@bufbuild/cel', '@bufbuild/protobuf', 'kubernetes-models']) {
      expect(pkg.dependencies?.[vendored]).toBeUndefined();
      expect(pkg.devDependencies?.[vendored]).toBeDefined();
    }
  });

  test('the check finds a missing peer (the @bufbuild/cel case)', () => {
    const cel: Manifest = JSON.parse(fs.readFileSync(path.join(packageDir('@bufbuild/cel', ROOT)!, 'package.json'), 'utf8'));
    expect(Object.keys(cel.peerDependencies ?? {})).toContain('@bufbuild/protobuf');
    expect(available.has('@bufbuild/protobuf')).toBe(false);
  });
});
