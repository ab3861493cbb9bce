import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROGRESS_THRESHOLD } from '../../src/cli/audit-command';
import { CliIo, run } from '../../src/cli/main';
import { RuleObject } from '../../src/policy/rule';
import { daysFromNow, excepted, yamlDocuments } from '../audit/registry-fixtures';

const REPO = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join('test', 'fixtures', 'audit');
const BAD = path.join(FIXTURES, 'bad');
const GOOD = path.join(FIXTURES, 'good');
const BROKEN = path.join(FIXTURES, 'broken');
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with buffers for stdout/stderr (TTY or not) and an optional stdin. */
interface CliOptions {
  tty?: boolean;
  stderrTty?: boolean;
  stdin?: string;
  env?: { [k: string]: string };
}

async function cli(args: string[], opts: CliOptions = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => { stdout += s; return true; }, isTTY: opts.tty ?? false, columns: 140 },
    stderr: { write: (s: string) => { stderr += s; return true; }, isTTY: opts.stderrTty ?? false, columns: 100 },
    readStdin: opts.stdin === undefined ? undefined : () => opts.stdin!,
    env: opts.env ?? {},
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

/** A ClusterRoleBinding of the group `ops`: allowed only when `ops` is a configured operator group. */
const CRB_TO_OPS = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'audit', 'operators', 'crb-ops.yaml'), 'utf8');

const created: string[] = [];
afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-cli-'));
  created.push(dir);
  return dir;
}

let cwd: string;
beforeAll(() => {
  cwd = process.cwd();
  process.chdir(REPO);
});
afterAll(() => process.chdir(cwd));

describe('cdk8s-secure-mesh audit: exit codes and output', () => {
  test('findings at or above --fail-on exit 1; the table ends with the summary line', async () => {
    const r = await cli(['audit', BAD]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('RBAC-CRB-001');
    expect(r.stdout).toContain('list.json:11');
    // The fixture's exception annotation is hand-written, with no registry: nothing is excepted.
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('6 objects, 17 errors, 1 warning, 0 excepted');
    // RBAC-CRB-001 depends on the operator groups, and none are configured: stderr says how to set them.
    expect(r.stderr).toMatch(/^note: no mesh admin or operator groups are configured \(settings: defaults\)[^\n]*\n$/);
  });

  test('clean input exits 0', async () => {
    const r = await cli(['audit', GOOD]);
    expect(r).toEqual({ code: 0, stdout: 'No findings.\n6 objects, 0 errors, 0 warnings, 0 excepted\n', stderr: '' });
  });

  test('--fail-on none never fails on findings; --fail-on warning fails on warnings alone', async () => {
    expect((await cli(['audit', BAD, '--fail-on', 'none'])).code).toBe(0);
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'np.yaml'), [
      // An ingress rule without ports for pods a mesh ALLOW policy governs: only the NET-L4-002 warning.
      'apiVersion: security.istio.io/v1', 'kind: AuthorizationPolicy', 'metadata: {name: web, namespace: shop}', 'spec:',
      '  selector: {matchLabels: {app: web}}', '  action: ALLOW', '  rules:',
      '    - from: [{source: {principals: [cluster.local/ns/shop/sa/client]}}]', '      to: [{operation: {ports: ["8080"]}}]',
      '---', 'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: web, namespace: shop}', 'spec:',
      '  podSelector: {matchLabels: {app: web}}', '  policyTypes: [Ingress]', '  ingress:', '    - from: [{podSelector: {}}]',
    ].join('\n'));
    const strict = await cli(['audit', dir, '--fail-on', 'warning']);
    expect(strict.stdout).toContain('0 errors');
    expect(strict.stdout).toMatch(/[1-9]\d* warnings?/);
    expect(strict.code).toBe(1);
    expect((await cli(['audit', dir])).code).toBe(0);
  });

  test('--format json and sarif keep stdout machine-readable; the summary goes to stderr', async () => {
    const json = await cli(['audit', BAD, '-f', 'json']);
    expect(JSON.parse(json.stdout).summary).toEqual({ errors: 17, excepted: 0, objects: 6, warnings: 1 });
    expect(json.stderr).toMatch(/^6 objects, 17 errors, 1 warning, 0 excepted\nnote: no mesh admin or operator groups/);
    const sarif = await cli(['audit', BAD, '--format', 'sarif']);
    const log = JSON.parse(sarif.stdout);
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('test/fixtures/audit/bad/list.json');
  });

  test('--output writes the report to a file', async () => {
    const out = path.join(tmpdir(), 'report.sarif');
    const r = await cli(['audit', BAD, '-f', 'sarif', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(fs.readFileSync(out, 'utf-8')).runs[0].tool.driver.name).toBe('cdk8s-secure-mesh');
    expect(r.stderr).toMatch(/^6 objects, /);
  });

  test('the clock is the system\'s: there is no --today; registered exceptions are judged against the real date', async () => {
    const moved = await cli(['audit', BAD, '--today', '2026-01-01']);
    expect(moved.code).toBe(2);
    expect(moved.stderr).toMatch(/error: unknown option '--today'/);

    const lenient: RuleObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'lenient', namespace: 'shop' }, spec: { mtls: { mode: 'PERMISSIVE' } } };
    const props = { rules: ['MESH-MTLS-002'], id: 'shop/scraper', owner: 'team-observability@example.com' };
    const write = (objects: RuleObject[]) => {
      const dir = tmpdir();
      fs.writeFileSync(path.join(dir, 'shop.yaml'), yamlDocuments(objects));
      return dir;
    };
    const valid = excepted([lenient], { ...props, expires: daysFromNow(30) });
    const validDir = write([...valid.registries, ...valid.objects]);
    const ok = await cli(['audit', validDir, '-f', 'json']);
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout);
    expect(doc.summary).toEqual({ errors: 0, excepted: 1, objects: 2, warnings: 0 });
    expect(doc.findings[0].exception).toMatchObject({ id: 'shop/scraper', owner: 'team-observability@example.com', expires: daysFromNow(30), registry: 'shop/secure-mesh-exceptions' });
    const sarif = JSON.parse((await cli(['audit', validDir, '-f', 'sarif'])).stdout);
    expect(sarif.runs[0].results[0].suppressions[0].properties).toEqual({
      owner: 'team-observability@example.com', expires: daysFromNow(30), exceptionId: 'shop/scraper', registry: 'shop/secure-mesh-exceptions',
    });
    expect((await cli(['audit', validDir])).stdout).toContain('owner team-observability@example.com');

    const expired = excepted([lenient], { ...props, expires: daysFromNow(-1) });
    const late = await cli(['audit', write([...expired.registries, ...expired.objects]), '-f', 'json']);
    expect(late.code).toBe(1);
    expect(JSON.parse(late.stdout).findings.map((f: any) => [f.ruleId, f.object, f.excepted])).toEqual([
      ['EXC-EXPIRED', 'ConfigMap/shop/secure-mesh-exceptions', false], ['EXC-EXPIRED', 'PeerAuthentication/shop/lenient', false], ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);

    // The longest lifetime comes from secure-mesh.yaml (maxExceptionDays, default 90), not from a flag.
    const long = excepted([lenient], { ...props, expires: daysFromNow(150) });
    const longDir = write([...long.registries, ...long.objects]);
    const refused = await cli(['audit', longDir, '-f', 'json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).findings.map((f: any) => f.ruleId)).toEqual(['EXC-REGISTRY', 'MESH-MTLS-002']);
    const config = path.join(tmpdir(), 'mesh.yaml');
    fs.writeFileSync(config, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\nmaxExceptionDays: 180\n');
    expect((await cli(['audit', longDir, '--config', config])).code).toBe(0);

    const handWritten = await cli(['audit', write(valid.objects), '-f', 'json']);
    expect(handWritten.code).toBe(1);
    expect(JSON.parse(handWritten.stdout).findings.map((f: any) => [f.ruleId, f.excepted])).toEqual([['EXC-UNREGISTERED', false], ['MESH-MTLS-002', false]]);
  });

  test('mesh layout flags: --mesh-admin-group, --operator-group, --root-namespace, --no-mesh / --mesh', async () => {
    const blueprint = tmpdir();
    fs.writeFileSync(path.join(blueprint, 'crb.yaml'), CRB_TO_OPS);
    expect((await cli(['audit', blueprint])).code).toBe(1);
    expect((await cli(['audit', blueprint, '--mesh-admin-group', 'x', '--mesh-admin-group', 'ops'])).code).toBe(0);
    expect((await cli(['audit', blueprint, '--operator-group', 'ops'])).code).toBe(0);
    const withMesh = await cli(['audit', blueprint, '--operator-group', 'ops', '--mesh', '-f', 'json']);
    expect(JSON.parse(withMesh.stdout).findings.map((f: any) => f.object)).toEqual(['<mesh>', '<mesh>', '<mesh>']);
    const noMesh = await cli(['audit', BAD, '--no-mesh', '-f', 'json']);
    expect(JSON.parse(noMesh.stdout).findings.some((f: any) => f.object === '<mesh>')).toBe(false);
    const otherRoot = await cli(['audit', BAD, '--root-namespace', 'mesh-root', '-f', 'json']);
    expect(JSON.parse(otherRoot.stdout).meshBaselineExpected).toBe(false);
  });

  test('settings come from secure-mesh.yaml (the working directory, or --config); flags override; no groups: a note says how to set them', async () => {
    const blueprint = tmpdir();
    fs.writeFileSync(path.join(blueprint, 'crb.yaml'), CRB_TO_OPS);
    const unconfigured = await cli(['audit', blueprint, '-f', 'json']);
    expect(unconfigured.code).toBe(1);
    expect(JSON.parse(unconfigured.stdout).findings[0].fix).toMatch(/meshAdminGroups .*in secure-mesh\.yaml, the flag --mesh-admin-group .*plugin property meshAdminGroups/);
    expect(unconfigured.stderr).toMatch(/note: no mesh admin or operator groups are configured \(settings: defaults\).*secure-mesh\.yaml.*--mesh-admin-group/);

    const config = path.join(tmpdir(), 'mesh.yaml');
    fs.writeFileSync(config, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\nmeshAdminGroups: [ops]\n');
    expect((await cli(['audit', blueprint, '--config', config])).code).toBe(0);
    // A flag replaces the file's list.
    expect((await cli(['audit', blueprint, '--config', config, '--mesh-admin-group', 'someone-else'])).code).toBe(1);

    // ./secure-mesh.yaml is read without flags.
    const repo = tmpdir();
    fs.copyFileSync(config, path.join(repo, 'secure-mesh.yaml'));
    process.chdir(repo);
    try {
      expect((await cli(['audit', blueprint])).code).toBe(0);
    } finally {
      process.chdir(REPO);
    }

    const missing = await cli(['audit', blueprint, '--config', path.join(repo, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: no such config file/);
    fs.writeFileSync(config, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\nadmins: [ops]\n');
    const invalid = await cli(['audit', blueprint, '--config', config]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/mesh\.yaml: unknown field "admins"/);
  });

  test('- reads manifests from stdin', async () => {
    const r = await cli(['audit', '-', '-f', 'json'], { stdin: fs.readFileSync(path.join(BAD, 'mesh.yaml'), 'utf-8') });
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.objects).toBe(2);
    expect(doc.findings[0].file).toBe('<stdin>');
  });
});

describe('bad input and usage errors exit 2, saying what was skipped', () => {
  test('unparseable files are named with file:line and document; the rest is still audited', async () => {
    const r = await cli(['audit', BROKEN, GOOD, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: test/fixtures/audit/broken/invalid.json:5: invalid JSON, file skipped');
    expect(r.stderr).toContain('error: test/fixtures/audit/broken/invalid.yaml:10 (document 1): invalid YAML, document skipped');
    expect(r.stderr).toContain('skipped 2 input(s) that could not be read; the report covers the rest');
    expect(JSON.parse(r.stdout).summary.objects).toBe(8);
  });

  test('missing paths and empty input are errors', async () => {
    const missing = await cli(['audit', 'no/such/dir']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: no/such/dir: no such file or directory');
    const empty = await cli(['audit', tmpdir()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no Kubernetes objects found \(empty input\)/);
  });

  test('--rule-set: rules of later sets report as warnings for manifests written against an older set', async () => {
    const latest = JSON.parse((await cli(['audit', BAD, '-f', 'json'])).stdout);
    const older = JSON.parse((await cli(['audit', BAD, '-f', 'json', '--rule-set', '1'])).stdout);
    const severities = (doc: any, id: string) => [...new Set(doc.findings.filter((f: any) => f.ruleId === id).map((f: any) => f.severity))];
    expect(severities(latest, 'POD-ESC-001')).toEqual(['error']);
    expect(severities(older, 'POD-ESC-001')).toEqual(['warning']);
    expect(severities(older, 'POD-PRIV-001')).toEqual(['error']);
    expect(older.findings.length).toBe(latest.findings.length);
    const bad = await cli(['audit', BAD, '--rule-set', '7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ruleSet "7" is not a rule set \(known: 1, 2/);
  });

  test('--namespace places kustomize-style objects (no metadata.namespace) before the rules read them; without it a note says so', async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'kustomize.yaml'), [
      'apiVersion: security.istio.io/v1', 'kind: PeerAuthentication', 'metadata: {name: default}', 'spec: {mtls: {mode: UNSET}}',
    ].join('\n'));
    const unplaced = await cli(['audit', dir, '--no-mesh', '-f', 'json']);
    expect(JSON.parse(unplaced.stdout).findings).toEqual([]);
    expect(unplaced.stderr).toMatch(/note: 1 namespaced object\(s\) name no metadata.namespace \(first: PeerAuthentication\/default at .*kustomize\.yaml:1\).*pass --namespace NS/);
    // In the root namespace, a selector-less UNSET is the mesh-wide policy: PERMISSIVE.
    const placed = await cli(['audit', dir, '--no-mesh', '-f', 'json', '--namespace', 'istio-system']);
    expect(JSON.parse(placed.stdout).findings.map((f: any) => [f.ruleId, f.object])).toEqual([
      ['MESH-MTLS-001', 'PeerAuthentication/istio-system/default'], ['MESH-MTLS-002', 'PeerAuthentication/istio-system/default'],
    ]);
    expect(placed.stderr).not.toContain('note: 1 namespaced');
    expect((await cli(['audit', dir, '--namespace', 'Not_A_Namespace'])).code).toBe(2);
  });

  test('invalid options are usage errors, with a hint', async () => {
    for (const args of [['audit', BAD, '-f', 'xml'], ['audit', BAD, '--fail-on', 'info'], ['audit'], ['nope'], ['audit', BAD, '--max-file-size', '0']]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/error: /);
    }
  });

  test('--help and --version exit 0; both commands are registered', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/audit \[options\] <paths\.\.\.>/);
    expect(help.stdout).toMatch(/\n {2}access/);
    expect((await cli(['audit', '--help'])).stdout).toContain('--mesh-admin-group <group>');
    expect((await cli(['--version'])).code).toBe(0);
    const access = await cli(['access', '--help']);
    expect(access.code).toBe(0);
    expect(access.stdout).toMatch(/^Usage: cdk8s-secure-mesh access/);
  });
});

describe('terminal behaviour', () => {
  test('colour only on a TTY, and never with --no-color or NO_COLOR', async () => {
    expect((await cli(['audit', BAD])).stdout).not.toMatch(ANSI);
    expect((await cli(['audit', BAD], { tty: true })).stdout).toMatch(ANSI);
    expect((await cli(['audit', BAD, '--no-color'], { tty: true })).stdout).not.toMatch(ANSI);
    expect((await cli(['audit', BAD], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await cli(['audit', BAD, '--color'])).stdout).toMatch(ANSI);
  });

  test(`a progress bar on a TTY stderr, only for more than ${PROGRESS_THRESHOLD} documents`, async () => {
    const dir = tmpdir();
    const many = Array.from({ length: PROGRESS_THRESHOLD + 50 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: shop}\n`).join('---\n');
    fs.writeFileSync(path.join(dir, 'many.yaml'), many);
    const tty = await cli(['audit', dir], { stderrTty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/auditing \[.*\] \d+\/\d+/);
    expect((await cli(['audit', dir])).stderr).toBe('');
    expect((await cli(['audit', GOOD], { stderrTty: true })).stderr).toBe('');
  });
});

describe('the real executable', () => {
  test('main.ts is a node script and runs as a child process on a fixture directory', () => {
    expect(fs.readFileSync(path.join(REPO, 'src', 'cli', 'main.ts'), 'utf-8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', 'audit', BAD, '-f', 'json'], {
      cwd: REPO, encoding: 'utf-8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000,
    });
    expect(child.status).toBe(1);
    expect(JSON.parse(child.stdout).summary).toEqual({ errors: 17, excepted: 0, objects: 6, warnings: 1 });
    expect(child.stderr).toContain('6 objects, 17 errors, 1 warning, 0 excepted');
    const clean = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', 'audit', GOOD], { cwd: REPO, encoding: 'utf-8', timeout: 60_000 });
    expect(clean.status).toBe(0);
  }, 120_000);
});
