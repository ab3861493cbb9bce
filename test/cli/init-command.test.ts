import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import * as ts from 'typescript';
import * as YAML from 'yaml';
import { InitError, STARTER_DIR, initProject, npmNameProblems } from '../../src/cli/init-command';
import { CliIo, run } from '../../src/cli/main';

// The starter imports the library by its package name; here that is this repository's source. The
// starter's modules are loaded with require() below, so that `tsc -p test/tsconfig.json` (which
// cannot resolve 'cdk8s-secure-mesh') does not follow them; the test below type-checks them instead.
// eslint-disable-next-line @typescript-eslint/no-require-imports
jest.mock('cdk8s-secure-mesh', () => require('../../src'), { virtual: true });

const REPO = path.resolve(__dirname, '..', '..');
const REPO_PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf-8'));

/** Every file init writes, sorted, with `/` separators. */
const FILES = [
  '.github/workflows/ci.yml',
  '.gitignore',
  'README.md',
  'blueprint.ts',
  'cdk8s.yaml',
  'main.ts',
  'package.json',
  'secure-mesh.yaml',
  'test/blueprint.test.ts',
  'tsconfig.json',
];

/** Where each written file is stored in starter/. */
function storedAs(file: string): string {
  return file === '.gitignore' ? 'gitignore' : file.replace(/^\.github\//, 'github/');
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => { stdout += s; return true; }, isTTY: false },
    stderr: { write: (s: string) => { stderr += s; return true; }, isTTY: false },
    env: {},
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

const created: string[] = [];
afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh temporary directory; `sub` names a (not yet existing) directory inside it. */
function tmpdir(sub?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-init-'));
  created.push(dir);
  return sub === undefined ? dir : path.join(dir, sub);
}

/** Every file under `dir`, relative with `/` separators, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf-8');
}

describe('cdk8s-secure-mesh init: what it writes', () => {
  let dir: string;
  let result: Captured;
  beforeAll(async () => {
    dir = tmpdir('my-platform');
    result = await cli(['init', dir]);
  });

  test('exit 0; exactly the starter files, listed sorted, then the next steps', () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(listFiles(dir)).toEqual(FILES);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Wrote the blueprint repository "my-platform" (cdk8s-secure-mesh ^${REPO_PACKAGE.version}) to ${dir}:`);
    expect(lines.slice(1, 1 + FILES.length)).toEqual(FILES.map((f) => `  ${f}`));
    const next = result.stdout.slice(result.stdout.indexOf('Next steps:'));
    const commands = ['npm install', 'npx cdk8s synth', 'npm test', 'npx cdk8s-secure-mesh audit dist/'];
    const positions = commands.map((c) => next.indexOf(`  ${c}`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test('every file but package.json is the starter file as stored; gitignore and github/ are renamed', () => {
    for (const file of FILES.filter((f) => f !== 'package.json')) {
      expect([file, read(dir, file)]).toEqual([file, read(STARTER_DIR, storedAs(file))]);
    }
    expect(fs.existsSync(path.join(dir, '.gitignore'))).toBe(true);
    expect(read(dir, '.gitignore').split('\n')).toEqual(expect.arrayContaining(['node_modules/', 'dist/', 'coverage/']));
    expect(fs.existsSync(path.join(dir, 'gitignore'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.github', 'workflows', 'ci.yml'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'github'))).toBe(false);
  });

  test('package.json: the name, this library\'s version, the scripts, and the versions this repository uses', () => {
    const pkg = JSON.parse(read(dir, 'package.json'));
    expect(pkg.name).toBe('my-platform');
    expect(pkg.private).toBe(true);
    expect(pkg.dependencies).toEqual({
      'cdk8s': '^2.70.0',
      'cdk8s-plus-27': '^2.9.5',
      'cdk8s-secure-mesh': `^${REPO_PACKAGE.version}`,
      'constructs': '^10.3.0',
    });
    // The peer ranges of this library, so npm installs the app's cdk8s once.
    for (const [dep, range] of Object.entries(REPO_PACKAGE.peerDependencies)) expect([dep, pkg.dependencies[dep]]).toEqual([dep, range]);
    // Dev tools at the versions this repository installs (and tests with): they install from the same npm cache.
    const devTools = ['@types/jest', '@types/node', 'cdk8s-cli', 'jest', 'ts-jest', 'ts-node', 'typescript'];
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(devTools);
    for (const dep of devTools) expect([dep, pkg.devDependencies[dep]]).toEqual([dep, REPO_PACKAGE.devDependencies[dep]]);
    expect(pkg.scripts).toEqual({
      synth: 'cdk8s synth',
      test: 'jest',
      audit: 'cdk8s-secure-mesh audit dist/',
      access: 'cdk8s-secure-mesh access dist/',
    });
    expect(pkg.jest.testMatch).toEqual(['<rootDir>/test/**/*.test.ts']);
    expect(Object.values(pkg.jest.transform)).toEqual([['ts-jest', { tsconfig: 'tsconfig.json' }]]);
    // No build tool of this repository becomes the app's dependency.
    expect(JSON.stringify(pkg)).not.toMatch(/projen|jsii/);
    expect(read(dir, 'package.json').endsWith('}\n')).toBe(true);
  });

  test('the version is substituted, not copied: initProject with another version', () => {
    const other = tmpdir('versioned');
    const r = initProject({ dir: other, version: '1.2.3' });
    expect(r).toMatchObject({ dir: other, name: 'versioned', dependency: '^1.2.3', files: FILES, overwritten: [] });
    expect(JSON.parse(read(other, 'package.json')).dependencies['cdk8s-secure-mesh']).toBe('^1.2.3');
  });

  test('cdk8s.yaml: the app without type-checking, dist/, and the validation plugin reading secure-mesh.yaml', () => {
    const config = YAML.parse(read(dir, 'cdk8s.yaml'));
    expect(config).toEqual({
      language: 'typescript',
      app: 'npx ts-node --transpile-only main.ts',
      output: 'dist',
      validations: [{
        package: './node_modules/cdk8s-secure-mesh/lib/cli/validation-plugin.js',
        version: '0.0.0',
        class: 'SecureMeshValidation',
        properties: { config: 'secure-mesh.yaml' },
      }],
    });
    // cdk8s-cli loads a local plugin when the package starts with './', and refuses version ranges.
    const plugin = config.validations[0];
    expect(plugin.package.startsWith('./')).toBe(true);
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+$/);
    // The path is this package's lib/ counterpart of src/cli/validation-plugin.ts, and the class exists there.
    const source = path.join(REPO, plugin.package.replace('./node_modules/cdk8s-secure-mesh/lib/', 'src/').replace(/\.js$/, '.ts'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(typeof require(source)[plugin.class]).toBe('function');
    expect(fs.existsSync(path.join(dir, plugin.properties.config))).toBe(true);
  });

  test('secure-mesh.yaml: the flat SecureMeshConfig format', () => {
    expect(YAML.parse(read(dir, 'secure-mesh.yaml'))).toEqual({
      apiVersion: 'secure-mesh.cdk8s.io/v1alpha1',
      kind: 'SecureMeshConfig',
      trustDomain: 'cluster.local',
      trustDomainAliases: [],
      rootNamespace: 'istio-system',
      controlPlaneNamespace: 'istio-system',
      meshAdminGroups: ['mesh-admins'],
      operatorGroups: ['auditors', 'security-admins'],
      allowedRegistries: ['docker.io/istio'],
    });
  });

  test('CI: on push, pull requests and a schedule: install, synth, test, audit to SARIF, upload it even when the audit fails, then fail the job', () => {
    const workflow = YAML.parse(read(dir, '.github/workflows/ci.yml'));
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push', 'schedule']);
    // A scheduled run catches exceptions that expire between merges (the audit uses the real date).
    expect(workflow.on.schedule).toEqual([{ cron: '0 6 * * 1-5' }]);
    // The gate, and the pull-request security diff (tested below).
    expect(Object.keys(workflow.jobs)).toEqual(['blueprint', 'security-diff']);
    const job = workflow.jobs.blueprint;
    expect(job.permissions).toEqual({ 'contents': 'read', 'security-events': 'write' });
    const steps = job.steps as any[];
    const index = (pred: (s: any) => boolean) => {
      const i = steps.findIndex(pred);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    const checkout = index((s) => /^actions\/checkout@/.test(s.uses ?? ''));
    const setupNode = index((s) => /^actions\/setup-node@/.test(s.uses ?? ''));
    expect(steps[setupNode].with).toEqual({ 'node-version': 20, 'cache': 'npm' });
    const install = index((s) => s.run === 'npm ci');
    const synth = index((s) => s.run === 'npx cdk8s synth');
    const test = index((s) => s.run === 'npm test');
    const audit = index((s) => /npx cdk8s-secure-mesh audit dist\/ --format sarif -o audit\.sarif/.test(s.run ?? ''));
    const upload = index((s) => /^github\/codeql-action\/upload-sarif@v\d+$/.test(s.uses ?? ''));
    const fail = index((s) => typeof s.if === 'string' && s.if.includes(`steps.${steps[audit].id}.outcome == 'failure'`));
    expect([checkout, setupNode, install, synth, test, audit, upload, fail]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(steps[audit]['continue-on-error']).toBe(true);
    expect(steps[upload].with.sarif_file).toBe('audit.sarif');
    expect(steps[upload].if).toMatch(/^always\(\)/);
    expect(steps[fail].run).toMatch(/exit 1/);
  });

  test('CI: on pull requests, a security diff of base and head synthesized side by side, posted as one updated comment', () => {
    const workflow = YAML.parse(read(dir, '.github/workflows/ci.yml'));
    const job = workflow.jobs['security-diff'];
    expect(job.if).toBe("github.event_name == 'pull_request'");
    // Least privilege: read the code, write the comment; no code scanning.
    expect(job.permissions).toEqual({ 'contents': 'read', 'pull-requests': 'write' });
    const steps = job.steps as any[];
    const index = (pred: (s: any) => boolean) => {
      const i = steps.findIndex(pred);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    const head = index((s) => /^actions\/checkout@/.test(s.uses ?? '') && s.with?.path === 'head');
    const base = index((s) => /^actions\/checkout@/.test(s.uses ?? '') && s.with?.path === 'base');
    expect(steps[base].with.ref).toBe('${{ github.event.pull_request.base.sha }}');
    // No token left in .git/config for the code of the pull request to find.
    expect([steps[head].with['persist-credentials'], steps[base].with['persist-credentials']]).toEqual([false, false]);
    const setupNode = index((s) => /^actions\/setup-node@/.test(s.uses ?? ''));
    expect(steps[setupNode].with).toMatchObject({ 'node-version': 20, 'cache': 'npm' });
    const synthHead = index((s) => s['working-directory'] === 'head' && s.run === 'npm ci && npx cdk8s synth');
    const synthBase = index((s) => s['working-directory'] === 'base' && s.run === 'npm ci && npx cdk8s synth');
    expect([steps[synthHead]['continue-on-error'], steps[synthBase]['continue-on-error']]).toEqual([true, true]);
    const compare = index((s) => /npx cdk8s-secure-mesh diff \.\.\/base\/dist dist --format markdown > \.\.\/diff\.md/.test(s.run ?? ''));
    expect(steps[compare]['working-directory']).toBe('head');
    expect(steps[compare].if).toBe(`steps.${steps[synthHead].id}.outcome == 'success' && steps.${steps[synthBase].id}.outcome == 'success'`);
    const explain = index((s) => typeof s.if === 'string' && s.if.includes("outcome != 'success'"));
    // Outcomes reach the script through the environment, never spliced into it.
    expect(steps[explain].run).not.toContain('${{');
    const summary = index((s) => /GITHUB_STEP_SUMMARY/.test(s.run ?? ''));
    const comment = index((s) => /^actions\/github-script@v\d+$/.test(s.uses ?? ''));
    expect(steps[comment].if).toMatch(/^always\(\) && hashFiles\('diff\.md'\) != '' && github\.event\.pull_request\.head\.repo\.full_name == github\.repository$/);
    expect(steps[comment].with.script).toContain('updateComment');
    expect(steps[comment].with.script).toContain('createComment');
    expect([head, base, setupNode, synthHead, synthBase, compare, explain, summary, comment]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // The comment script is valid JavaScript (github-script runs it as the body of an async function).
    expect(() => new Function(`return (async () => { ${steps[comment].with.script} });`)).not.toThrow();
  });
});

describe('cdk8s-secure-mesh init: existing files', () => {
  test('refuses with exit 2, lists every existing file it would write, and writes nothing', async () => {
    const dir = tmpdir('ours');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'README.md'), 'our readme\n');
    fs.mkdirSync(path.join(dir, 'test'));
    fs.writeFileSync(path.join(dir, 'test', 'blueprint.test.ts'), '// ours\n');
    fs.writeFileSync(path.join(dir, 'LICENSE'), 'not ours to touch\n');
    const r = await cli(['init', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe([
      `error: init: 2 file(s) that init writes exist in ${dir}:`,
      '  README.md',
      '  test/blueprint.test.ts',
      'Nothing was written. Move them away, choose another directory (cdk8s-secure-mesh init <dir>), or pass --force to overwrite them.',
      '',
    ].join('\n'));
    expect(listFiles(dir)).toEqual(['LICENSE', 'README.md', 'test/blueprint.test.ts']);
    expect(read(dir, 'README.md')).toBe('our readme\n');
  });

  test('a second init into the same directory refuses; --force overwrites and says which files', async () => {
    const dir = tmpdir('platform');
    expect((await cli(['init', dir])).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'blueprint.ts'), '// edited\n');
    fs.writeFileSync(path.join(dir, 'LICENSE'), 'kept\n');

    const again = await cli(['init', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`error: init: ${FILES.length} file(s) that init writes exist in ${dir}:\n${FILES.map((f) => `  ${f}`).join('\n')}\n`);
    expect(read(dir, 'blueprint.ts')).toBe('// edited\n');

    const forced = await cli(['init', dir, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('  blueprint.ts (overwritten)\n');
    expect(read(dir, 'blueprint.ts')).toBe(read(STARTER_DIR, 'blueprint.ts'));
    expect(read(dir, 'LICENSE')).toBe('kept\n');
  });

  test('a directory where a file goes stops init, also with --force', async () => {
    const dir = tmpdir();
    fs.mkdirSync(path.join(dir, 'package.json'));
    fs.writeFileSync(path.join(dir, 'test'), 'a file where the test directory goes\n');
    const r = await cli(['init', dir, '--force', '--name', 'platform']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot write 2 file(s) in ${dir}: a directory is where the file goes, or a file is where its directory goes:\n  package.json\n  test/blueprint.test.ts\n`);
    expect(r.stderr).toContain('--force replaces files, never directories');
    expect(listFiles(dir)).toEqual(['test']);
  });

  test('a file as the target directory stops init', async () => {
    const file = path.join(tmpdir(), 'platform');
    fs.writeFileSync(file, '');
    const r = await cli(['init', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: init: ${file} exists and is not a directory. Choose a new or existing directory: cdk8s-secure-mesh init <dir>.\n`);
  });
});

describe('cdk8s-secure-mesh init: names and directories', () => {
  test('the default directory is the current one, named after it; no cd in the next steps', async () => {
    const dir = tmpdir('team-platform');
    fs.mkdirSync(dir);
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const r = await cli(['init']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('  cd ');
    } finally {
      process.chdir(cwd);
    }
    expect(listFiles(dir)).toEqual(FILES);
    expect(JSON.parse(read(dir, 'package.json')).name).toBe('team-platform');
  });

  test('--name sets the package name (scoped names too); a relative directory gets a cd line', async () => {
    const parent = tmpdir();
    const cwd = process.cwd();
    let r: Captured;
    try {
      process.chdir(parent);
      r = await cli(['init', 'nested/repo', '--name', '@acme/mesh-blueprint']);
    } finally {
      process.chdir(cwd);
    }
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\n  cd ${path.join('nested', 'repo')}\n`);
    expect(JSON.parse(read(path.join(parent, 'nested', 'repo'), 'package.json')).name).toBe('@acme/mesh-blueprint');
  });

  test('an invalid directory name is refused with a suggestion for --name, and nothing is written', async () => {
    const dir = tmpdir('My Platform');
    const r = await cli(['init', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: init: the directory name "My Platform" (of ${dir}) is not a valid npm package name: it has upper-case letters; `
      + 'it has characters other than a-z, 0-9, "-", ".", "_" and "~". Pass a valid one with --name, e.g. --name my-platform.\n');
    expect(fs.existsSync(dir)).toBe(false);
    expect((await cli(['init', dir, '--name', 'my-platform'])).code).toBe(0);
    expect(listFiles(dir)).toEqual(FILES);
  });

  test.each([
    ['"Platform"', 'it has upper-case letters', 'Platform', 'platform'],
    ['".platform"', 'it starts with ".", "_" or "-"', '.platform', 'platform'],
    ['"my platform"', 'it has characters other than', 'my platform', 'my-platform'],
    ['"fs"', 'it is reserved', 'fs', 'fs-blueprint'],
    ['"cdk8s-secure-mesh"', 'npm would refuse to install', 'cdk8s-secure-mesh', 'cdk8s-secure-mesh-blueprint'],
    ['"jest"', 'npm would refuse to install', 'jest', 'jest-blueprint'],
    ['"@acme/"', 'its scope or name is empty', '@acme/', 'acme'],
    ['"x" * 215', 'longer than 214 characters', 'x'.repeat(215), 'x'.repeat(200)],
  ])('--name %s is refused: %s', async (_label, problem, name, suggestion) => {
    const dir = tmpdir('target');
    const r = await cli(['init', dir, '--name', name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: init: --name "${name}" is not a valid npm package name: `);
    expect(r.stderr).toContain(problem);
    expect(r.stderr).toMatch(new RegExp(`Pass a valid one with --name, e\\.g\\. --name ${suggestion}\\.\n$`));
    expect(npmNameProblems(suggestion)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('npmNameProblems accepts what npm accepts for new packages', () => {
    for (const name of ['platform', 'my-platform', 'my.platform_2', 'a~b', '@acme/platform', '@acme-corp/mesh.blueprint']) {
      expect([name, npmNameProblems(name)]).toEqual([name, []]);
    }
    expect(npmNameProblems('')).toEqual(['it is empty']);
    expect(npmNameProblems('node_modules')).toEqual([expect.stringContaining('reserved')]);
  });

  test('init runs no process (no npm): it only writes files', async () => {
    const spies = (['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const)
      .map((fn) => jest.spyOn(childProcess, fn));
    try {
      expect((await cli(['init', tmpdir('no-npm')])).code).toBe(0);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  });

  test('--help lists init with its options', async () => {
    const r = await cli(['init', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: cdk8s-secure-mesh init [options] [dir]');
    expect(r.stdout).toMatch(/--name <name>/);
    expect(r.stdout).toMatch(/--force/);
    expect((await cli(['--help'])).stdout).toMatch(/\n {2}init \[options\] \[dir\]/);
  });

  test('a missing starter directory is an error that says how to fix it', () => {
    const starterDir = path.join(tmpdir(), 'starter');
    expect(() => initProject({ dir: tmpdir('x'), starterDir })).toThrow(new InitError(`the starter files are missing (expected ${starterDir}): `
      + 'the cdk8s-secure-mesh installation is incomplete. Reinstall it (npm install cdk8s-secure-mesh).'));
  });
});

describe('starter/: what npm ships', () => {
  test('no starter file is one npm leaves out of a package or renames (.gitignore, .npmrc, dot-directories)', () => {
    const stored = listFiles(STARTER_DIR).filter((f) => !/(^|\/)(node_modules|dist|coverage|__snapshots__)\//.test(f) && f !== 'package-lock.json');
    expect(stored).toEqual(FILES.map(storedAs).sort());
    for (const file of stored) expect(file.split('/').some((segment) => segment.startsWith('.'))).toBe(false);
  });

  test('npm pack ships exactly these starter files (npm pack --dry-run, nothing is published)', () => {
    const out = childProcess.execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: REPO, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const packed: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    expect(packed.filter((f) => f.startsWith('starter/')).sort()).toEqual(FILES.map((f) => `starter/${storedAs(f)}`).sort());
  }, 60_000);
});

describe('starter/ against this repository\'s source', () => {
  test('the starter\'s TypeScript type-checks with cdk8s-secure-mesh mapped to src/index.ts', () => {
    const configFile = path.join(STARTER_DIR, 'tsconfig.json');
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configFile, ts.sys.readFile).config, ts.sys, STARTER_DIR);
    expect(parsed.errors).toEqual([]);
    const roots = parsed.fileNames.filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`));
    expect(roots.map((f) => path.relative(STARTER_DIR, f).split(path.sep).join('/')).sort()).toEqual(['blueprint.ts', 'main.ts', 'test/blueprint.test.ts']);
    const program = ts.createProgram(roots, {
      ...parsed.options,
      noEmit: true,
      // src/ may import JSON; the starter's own options are otherwise unchanged.
      resolveJsonModule: true,
      paths: { 'cdk8s-secure-mesh': [path.join(REPO, 'src', 'index.ts')] },
    });
    const starterDiagnostics = ts.getPreEmitDiagnostics(program)
      .filter((d) => !d.file || d.file.fileName.startsWith(STARTER_DIR.split(path.sep).join('/')) || d.file.fileName.startsWith(STARTER_DIR));
    const messages = starterDiagnostics.map((d) => {
      const where = d.file && d.start !== undefined
        ? `${path.relative(REPO, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `
        : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    // Until SecureMeshConfig and AccessMatrix are exported from src/index.ts, this names them.
    expect(messages).toEqual([]);
  }, 180_000);

  test('what CI runs after synth passes: `audit dist/` and `access dist/` in the new repository exit 0', async () => {
    // A repository as init writes it, synthesized as `cdk8s synth` does with validations configured:
    // cdk8s-cli has the app record construct metadata, so dist/ also holds construct-metadata.json.
    const dir = tmpdir('ci-run');
    initProject({ dir });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { BlueprintChart } = require('../../starter/blueprint');
    const app = new App({ outdir: path.join(dir, 'dist'), recordConstructMetadata: true });
    new BlueprintChart(app, 'blueprint');
    app.synth();
    expect(listFiles(path.join(dir, 'dist'))).toEqual(['blueprint.k8s.yaml', 'construct-metadata.json']);
    // The commands as package.json and the workflow run them: no flags, settings from ./secure-mesh.yaml.
    const cwd = process.cwd();
    let audit: Captured;
    let access: Captured;
    try {
      process.chdir(dir);
      audit = await cli(['audit', 'dist/']);
      access = await cli(['access', 'dist/']);
    } finally {
      process.chdir(cwd);
    }
    expect([audit.code, audit.stderr]).toEqual([0, '']);
    expect(audit.stdout).toMatch(/0 errors, 0 warnings/);
    expect([access.code, access.stderr]).toEqual([0, '']);
  });

  test('what the security-diff job runs: `diff ../base/dist dist --format markdown` from the pull request\'s directory', async () => {
    // Base and head checked out side by side, both synthesized; here the blueprint itself, and the
    // blueprint with one more grant.
    const root = tmpdir('pr');
    const head = path.join(root, 'head');
    initProject({ dir: head });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { BlueprintChart } = require('../../starter/blueprint');
    const synth = (outdir: string, grant: boolean) => {
      const app = new App({ outdir, recordConstructMetadata: true });
      const chart = new BlueprintChart(app, 'blueprint');
      if (grant) chart.services.ratings.allowFrom(chart.services.productpage, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });
      app.synth();
    };
    synth(path.join(root, 'base', 'dist'), false);
    synth(path.join(head, 'dist'), true);
    const cwd = process.cwd();
    let same: Captured;
    let diff: Captured;
    try {
      process.chdir(head);
      same = await cli(['diff', '../base/dist', '../base/dist', '--format', 'markdown']);
      diff = await cli(['diff', '../base/dist', 'dist', '--format', 'markdown']);
    } finally {
      process.chdir(cwd);
    }
    expect([same.code, same.stderr, same.stdout]).toEqual([0, '', '## Security diff: no change\n\nNo change to security.\n']);
    expect([diff.code, diff.stderr]).toEqual([0, '']);
    // The new rule comes first in ratings' policy, renumbering reviews' rule: not a change of what reviews may do.
    expect(diff.stdout).toBe([
      '## Security diff: 1 edge added',
      '',
      'This change widens access.',
      '',
      '### Access added (1)',
      '',
      '| From | To | Port | Allowed by (AuthorizationPolicy) | Requests |',
      '|---|---|---|---|---|',
      '| bookinfo/productpage | bookinfo/ratings | 9080/http | bookinfo/ratings rules[0] | `GET /ratings/*` |',
      '',
    ].join('\n'));
  });

  // The starter's own tests, run against src/ (its snapshot is kept next to this file).
  describe('starter/test/blueprint.test.ts', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../starter/test/blueprint.test');
  });
});
