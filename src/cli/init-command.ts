import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import { Command } from 'commander';
import { toolVersion } from './audit-command';
import type { CliIo } from './main';

/**
 * The files `init` writes: the package's `starter/` directory (shipped in the npm package), found
 * relative to this file, which works from `src/cli` (tests) and `lib/cli` (installed) alike.
 */
export const STARTER_DIR = path.join(__dirname, '..', '..', 'starter');

/**
 * Starter paths stored under another name, because npm would drop or rewrite them in the
 * package: a `.gitignore` is turned into `.npmignore` on publish, and a dot-directory is easily
 * caught by an ignore rule. `[stored prefix, written prefix]`.
 */
const RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['gitignore', '.gitignore'],
  ['github/', '.github/'],
];

/** Never copied: output of installing, synthesizing or testing the starter in place. */
const SKIPPED = new Set(['.DS_Store', '__snapshots__', 'audit.sarif', 'coverage', 'dist', 'node_modules', 'package-lock.json']);

/** Names npm refuses for new packages, besides Node's built-in modules. */
const RESERVED_NAMES = new Set(['favicon.ico', 'node_modules']);

/** Options of {@link initProject}. */
export interface InitOptions {
  /** The directory to write into (created when missing). */
  readonly dir: string;
  /** npm package name of the new repository. @default - the directory's base name */
  readonly name?: string;
  /** Overwrite files that exist. @default false */
  readonly force?: boolean;
  /** The cdk8s-secure-mesh version the repository depends on (`^version`). @default - this package's version */
  readonly version?: string;
  /** Where the starter files are. @default STARTER_DIR */
  readonly starterDir?: string;
}

/** What {@link initProject} wrote. */
export interface InitResult {
  /** The absolute target directory. */
  readonly dir: string;
  /** The package name written to package.json. */
  readonly name: string;
  /** The dependency range on cdk8s-secure-mesh written to package.json. */
  readonly dependency: string;
  /** Every file written, relative to `dir` with `/` separators, sorted. */
  readonly files: string[];
  /** The files among them that existed before (only with `force`). */
  readonly overwritten: string[];
}

/** Why `init` wrote nothing: a bad name, existing files, or an unusable directory. */
export class InitError extends Error {
  constructor(message: string, public readonly conflicts: readonly string[] = []) {
    super(message);
    this.name = 'InitError';
  }
}

/** One file of the starter: where it is stored and where it is written (relative, `/`-separated). */
interface StarterFile {
  readonly source: string;
  readonly target: string;
}

/**
 * Writes the starter blueprint repository into `options.dir`, with the package name and the
 * dependency on this library substituted in package.json. Writes nothing (and throws an
 * `InitError` that says what and how to fix) when the name is not a valid npm package name, or
 * when any file it would write exists and `force` is not set. Never runs npm.
 */
export function initProject(options: InitOptions): InitResult {
  const dir = path.resolve(options.dir);
  const starterDir = options.starterDir ?? STARTER_DIR;
  const files = starterFiles(starterDir);
  const starterPackage = readStarterPackage(starterDir);
  const name = options.name ?? path.basename(dir);
  const problems = npmNameProblems(name, dependencyNames(starterPackage));
  if (problems.length > 0) {
    const what = options.name === undefined
      ? `the directory name "${name}" (of ${dir}) is not a valid npm package name`
      : `--name "${name}" is not a valid npm package name`;
    throw new InitError(`${what}: ${problems.join('; ')}. Pass a valid one with --name, e.g. --name ${suggestName(name, dependencyNames(starterPackage))}.`);
  }

  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new InitError(`${dir} exists and is not a directory. Choose a new or existing directory: cdk8s-secure-mesh init <dir>.`);
  }
  const blocked: string[] = [];
  const existing: string[] = [];
  for (const { target } of files) {
    const kind = occupied(dir, target);
    if (kind === 'file') existing.push(target);
    else if (kind === 'blocked') blocked.push(target);
  }
  if (blocked.length > 0) {
    throw new InitError(
      `cannot write ${blocked.length} file(s) in ${dir}: a directory is where the file goes, or a file is where its directory goes:\n`
      + `${list(blocked)}\nNothing was written. Move them away or choose another directory; --force replaces files, never directories.`,
      blocked);
  }
  if (existing.length > 0 && !options.force) {
    throw new InitError(
      `${existing.length} file(s) that init writes exist in ${dir}:\n${list(existing)}\n`
      + 'Nothing was written. Move them away, choose another directory (cdk8s-secure-mesh init <dir>), or pass --force to overwrite them.',
      existing);
  }

  const dependency = `^${options.version ?? toolVersion()}`;
  files.forEach(({ source, target }, written) => {
    try {
      const content = target === 'package.json'
        ? renderPackageJson(starterPackage, name, dependency)
        : fs.readFileSync(path.join(starterDir, ...source.split('/')));
      const file = path.join(dir, ...target.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    } catch (e) {
      throw new InitError(`cannot write ${target} in ${dir} (${e instanceof Error ? e.message : String(e)}); `
        + `${written} of ${files.length} file(s) were written. Fix the cause (permissions, disk space) and run init again with --force.`);
    }
  });
  return { dir, name, dependency, files: files.map((f) => f.target), overwritten: existing };
}

/**
 * Registers `init [dir]`: writes a ready blueprint repository (cdk8s app, tests, secure-mesh.yaml,
 * CI with the audit and SARIF upload) into `dir`, then prints the files and the next steps.
 * Exit code 2 when it wrote nothing (bad name, existing files without `--force`, unusable directory).
 */
export function registerInitCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): Command {
  return program.command('init')
    .description('Write a ready blueprint repository (cdk8s app, tests, secure-mesh.yaml, CI with the audit) into a directory.')
    .argument('[dir]', 'the directory to write into (created when missing)', '.')
    .option('--name <name>', 'npm package name of the new repository (default: the directory name)')
    .option('--force', 'overwrite files that exist (default: refuse and list them)')
    .action((dir: string, flags: InitFlags) => setExitCode(init(dir, flags, io)));
}

/** Options of the `init` command, as Commander parses them. */
interface InitFlags {
  readonly name?: string;
  readonly force?: boolean;
}

function init(dir: string, flags: InitFlags, io: CliIo): number {
  let result: InitResult;
  try {
    result = initProject({ dir, name: flags.name, force: flags.force });
  } catch (e) {
    if (!(e instanceof InitError)) throw e;
    io.stderr.write(`error: init: ${e.message}\n`);
    return 2;
  }
  const overwritten = new Set(result.overwritten);
  const lines = [
    `Wrote the blueprint repository "${result.name}" (cdk8s-secure-mesh ${result.dependency}) to ${result.dir}:`,
    ...result.files.map((f) => `  ${f}${overwritten.has(f) ? ' (overwritten)' : ''}`),
    '',
    'Next steps:',
  ];
  const relative = path.relative(process.cwd(), result.dir);
  if (relative !== '') lines.push(`  cd ${relative.startsWith('..') || path.isAbsolute(relative) ? result.dir : relative}`);
  lines.push(
    '  npm install                          # then commit package-lock.json',
    '  npx cdk8s synth                      # writes dist/; the validation plugin audits it',
    '  npm test                             # the first run writes test/__snapshots__: commit it',
    '  npx cdk8s-secure-mesh audit dist/',
    '',
    'README.md explains how to add a service, grant a call and declare an exception.',
    '',
  );
  io.stdout.write(lines.join('\n'));
  return 0;
}

/** The starter's files, sorted by where they are written. */
function starterFiles(starterDir: string): StarterFile[] {
  if (!fs.existsSync(path.join(starterDir, 'package.json'))) {
    throw new InitError(`the starter files are missing (expected ${starterDir}): the cdk8s-secure-mesh installation is incomplete. Reinstall it (npm install cdk8s-secure-mesh).`);
  }
  const files: StarterFile[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(starterDir, ...relative.split('/').filter(Boolean)), { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const source = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(source);
      else if (entry.isFile()) files.push({ source, target: renamed(source) });
    }
  };
  walk('');
  return files.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

function renamed(source: string): string {
  for (const [stored, written] of RENAMES) {
    if (source === stored || (stored.endsWith('/') && source.startsWith(stored))) return written + source.slice(stored.length);
  }
  return source;
}

function readStarterPackage(starterDir: string): any {
  return JSON.parse(fs.readFileSync(path.join(starterDir, 'package.json'), 'utf-8'));
}

/** The starter's package.json with the repository's name and this library's version. */
function renderPackageJson(starterPackage: any, name: string, dependency: string): string {
  const pkg = { ...starterPackage, name, dependencies: { ...starterPackage.dependencies, 'cdk8s-secure-mesh': dependency } };
  return `${JSON.stringify(pkg, undefined, 2)}\n`;
}

function dependencyNames(pkg: any): string[] {
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
}

/**
 * Why `name` cannot name a new npm package (npm's rules for new packages): empty, longer than
 * 214 characters, upper case, characters other than `a-z 0-9 - . _ ~` (and one `@scope/`), a
 * leading `.`, `_` or `-`, a Node built-in module or reserved name, or the name of one of its own
 * dependencies (npm refuses to install a package into one of the same name).
 */
export function npmNameProblems(name: string, dependencies: readonly string[] = []): string[] {
  if (name.length === 0) return ['it is empty'];
  const problems: string[] = [];
  if (name.length > 214) problems.push('it is longer than 214 characters');
  if (name !== name.toLowerCase()) problems.push('it has upper-case letters');
  const scoped = /^@([^/]*)\/(.*)$/.exec(name);
  const parts = scoped ? [scoped[1], scoped[2]] : [name];
  if (parts.some((p) => !/^[a-zA-Z0-9._~-]*$/.test(p))) problems.push('it has characters other than a-z, 0-9, "-", ".", "_" and "~"');
  if (parts.some((p) => p === '')) problems.push('its scope or name is empty');
  else if (parts.some((p) => /^[._-]/.test(p))) problems.push('it starts with ".", "_" or "-"');
  if (RESERVED_NAMES.has(name) || builtinModules.includes(name)) problems.push('it is reserved (a Node.js built-in module or npm\'s reserved names)');
  if (dependencies.includes(name)) problems.push('it is the name of one of the repository\'s dependencies, which npm would refuse to install');
  return problems;
}

/** A valid name close to `name`, for the error message. */
function suggestName(name: string, dependencies: readonly string[]): string {
  const base = name.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^[._~-]+|[._~-]+$/g, '').replace(/-{2,}/g, '-').slice(0, 200);
  for (const candidate of [base, `${base}-blueprint`]) {
    if (base !== '' && npmNameProblems(candidate, dependencies).length === 0) return candidate;
  }
  return 'my-blueprint';
}

/** Whether writing `target` under `dir` would overwrite a file (`file`) or cannot work at all (`blocked`). */
function occupied(dir: string, target: string): 'free' | 'file' | 'blocked' {
  const segments = target.split('/');
  for (let i = 1; i <= segments.length; i++) {
    const stat = lstat(path.join(dir, ...segments.slice(0, i)));
    if (!stat) return 'free';
    const last = i === segments.length;
    if (last) return stat.isDirectory() ? 'blocked' : 'file';
    if (!stat.isDirectory() && !(stat.isSymbolicLink() && isDirectory(path.join(dir, ...segments.slice(0, i))))) return 'blocked';
  }
  return 'free';
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function list(files: readonly string[]): string {
  return files.map((f) => `  ${f}`).join('\n');
}
