/**
 * Writes generated/ (never committed; shipped in the npm package) from installed packages, before
 * compile, tests, the example and the bench:
 *
 * - `generated/vendor/cel.js`: @bufbuild/cel with its peer @bufbuild/protobuf, one CommonJS file.
 * - `generated/vendor/kubernetes-models.js`: kubernetes-models' compiled OpenAPI validators of
 *   every built-in kind, one CommonJS file whose modules initialize on first use.
 *
 * Vendoring these two keeps what users install to the code that runs (no ESM copies, type files
 * or peer dependencies that npm would not install for bundled packages).
 *
 * Skips the work when the inputs (installed versions, this script) are unchanged.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { buildSync } from 'esbuild';
import { ROOT, sha256 } from './upstream';

const OUT = join(ROOT, 'generated');
const STAMP = join(OUT, 'stamp.json');

function installedVersion(pkg: string): string {
  // Read from node_modules directly: some packages do not export their package.json.
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

function inputsKey(): string {
  return sha256(JSON.stringify({
    script: readFileSync(__filename, 'utf8'),
    versions: ['@bufbuild/cel', '@bufbuild/protobuf', 'kubernetes-models', 'esbuild'].map((p) => `${p}@${installedVersion(p)}`),
  }));
}

/** `apiVersion/Kind` -> module of every top-level kind kubernetes-models defines (not its sub-structures). */
function kubernetesKinds(): [string, string][] {
  const base = join(ROOT, 'node_modules', 'kubernetes-models');
  const kinds: [string, string][] = [];
  const visitVersionDir = (dir: string, rel: string) => {
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.js')) continue;
      const name = file.slice(0, -3);
      const module = `kubernetes-models/${rel}/${name}`;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const model = require(require.resolve(module, { paths: [ROOT] }))[name];
      if (model && model.kind === name && typeof model.apiVersion === 'string') kinds.push([`${model.apiVersion}/${name}`, module]);
    }
  };
  for (const entry of readdirSync(base, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('_')) continue;
    // Core kinds live in v1/, the others in <group>/<version>/.
    if (entry.name === 'v1') {visitVersionDir(join(base, entry.name), entry.name);} else {
      for (const version of readdirSync(join(base, entry.name), { withFileTypes: true })) {
        if (version.isDirectory()) visitVersionDir(join(base, entry.name, version.name), `${entry.name}/${version.name}`);
      }
    }
  }
  return kinds;
}

function vendor(): void {
  mkdirSync(join(OUT, 'vendor'), { recursive: true });
  const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', minify: true, legalComments: 'eof' as const, logLevel: 'warning' as const, absWorkingDir: ROOT };

  buildSync({
    ...common,
    stdin: { contents: "exports.cel = require('@bufbuild/cel');\nexports.ext = require('@bufbuild/cel/ext');\n", resolveDir: ROOT, loader: 'js' },
    outfile: join(OUT, 'vendor', 'cel.js'),
  });

  const kinds = kubernetesKinds();
  const table = kinds.map(([key, module]) => `  ${JSON.stringify(key)}: () => require(${JSON.stringify(module)}),`).join('\n');
  buildSync({
    ...common,
    stdin: { contents: `// apiVersion/Kind -> () => the kubernetes-models module of that kind\nexports.kinds = {\n${table}\n};\n`, resolveDir: ROOT, loader: 'js' },
    outfile: join(OUT, 'vendor', 'kubernetes-models.js'),
  });
  console.log(`generated/vendor: cel.js (@bufbuild/cel ${installedVersion('@bufbuild/cel')}, @bufbuild/protobuf ${installedVersion('@bufbuild/protobuf')}), `
    + `kubernetes-models.js (${kinds.length} kinds of kubernetes-models ${installedVersion('kubernetes-models')})`);
}

async function main(): Promise<void> {
  const key = inputsKey();
  if (existsSync(STAMP) && JSON.parse(readFileSync(STAMP, 'utf8')).key === key && process.argv[2] !== '--force') {
    console.log('generated/ is up to date');
    return;
  }
  vendor();
  writeFileSync(STAMP, JSON.stringify({ key }));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`generate: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
