import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { SecurityDiff } from '../../src/audit/security-diff';
import { toolVersion } from '../../src/cli/audit-command';
import { renderDiffMarkdown } from '../../src/cli/diff-command';
import { CliIo, run } from '../../src/cli/main';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyException } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { daysFromNow, yamlDocuments } from '../audit/registry-fixtures';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const ANSI = /\u001b\[/;

/** What a pull request changes in the blueprint (see test/audit/security-diff.test.ts). */
interface Change {
  readonly grantProductpageToRatings?: boolean;
  readonly dropReviewsToRatings?: boolean;
  readonly reviewsImageException?: boolean;
  /** Days from now the exception expires. @default 60 */
  readonly exceptionDays?: number;
}

/**
 * The YAML `cdk8s synth` writes for a small blueprint (mesh baseline, one namespace, three services,
 * productpage -> reviews and reviews -> ratings), with the real clock: the CLI always uses it.
 */
function blueprintYaml(change: Change = {}): string {
  const app = Testing.app();
  const chart = new Chart(app, 'blueprint', { disableResourceNameHashes: true });
  new MeshBaseline(chart, 'mesh', { allowedRegistries: ['docker.io/istio'] });
  const bookinfo = new HardenedNamespace(chart, 'bookinfo', { name: 'bookinfo' });
  const imageException = change.reviewsImageException ? new PolicyException(chart, 'reviews-image', {
    rules: ['IMG-DIGEST-001'],
    objects: ['Deployment/bookinfo/reviews'],
    owner: 'team-bookinfo@example.com',
    expires: daysFromNow(change.exceptionDays ?? 60),
    justification: 'The reviews image is only published by tag until the vendor ships digests next quarter.',
  }) : undefined;
  const service = (name: string, byTag = false) => new SecureService(chart, name, {
    namespace: bookinfo,
    image: byTag ? `docker.io/istio/${name}:1.20.1` : `docker.io/istio/${name}@${DIGEST}`,
    ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }],
    ...(byTag ? { imageException } : {}),
  });
  const productpage = service('productpage');
  const reviews = service('reviews', change.reviewsImageException);
  const ratings = service('ratings');
  reviews.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/reviews/*'] });
  if (!change.dropReviewsToRatings) ratings.allowFrom(reviews, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });
  if (change.grantProductpageToRatings) ratings.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });
  return yamlDocuments(Testing.synth(chart));
}

const SAMPLE: Change = { grantProductpageToRatings: true, dropReviewsToRatings: true, reviewsImageException: true };

const created: string[] = [];
afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A temporary directory holding `dist/blueprint.k8s.yaml` (and construct-metadata.json, as cdk8s-cli writes it). */
function dist(change: Change = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-cli-'));
  created.push(root);
  const dir = path.join(root, 'dist');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'blueprint.k8s.yaml'), blueprintYaml(change));
  fs.writeFileSync(path.join(dir, 'construct-metadata.json'), '{"version":"1.0.0","resources":{}}\n');
  return dir;
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cdk8s-secure-mesh <args>` in process, as the binary would. */
async function cli(args: string[], options: { stdin?: string; tty?: boolean; env?: { [k: string]: string } } = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => { stdout += s; return true; }, isTTY: options.tty ?? false },
    stderr: { write: (s: string) => { stderr += s; return true; }, isTTY: false },
    readStdin: () => options.stdin ?? '',
    env: options.env ?? {},
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

let BASE: string;
let HEAD: string;
let SAME: string;
beforeAll(() => {
  BASE = dist();
  HEAD = dist(SAMPLE);
  SAME = dist();
});

describe('cdk8s-secure-mesh diff: the sample change (one grant added, one removed, one new exception)', () => {
  test('markdown: a title with the counts, then exactly those three, each edge with its deciding policy', async () => {
    const r = await cli(['diff', BASE, HEAD, '--format', 'markdown']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const expires = daysFromNow(60);
    expect(r.stdout).toBe([
      '## Security diff: 1 edge added, 1 edge removed, 1 exception added',
      '',
      'This change widens access, narrows access, adds or widens exceptions.',
      '',
      '### Access added (1)',
      '',
      '| From | To | Port | Allowed by (AuthorizationPolicy) | Requests |',
      '|---|---|---|---|---|',
      '| bookinfo/productpage | bookinfo/ratings | 9080/http | bookinfo/ratings rules[0] | `GET /ratings/*` |',
      '',
      '### Access removed (1)',
      '',
      '| From | To | Port | Was allowed by (AuthorizationPolicy) | Requests | Now |',
      '|---|---|---|---|---|---|',
      '| bookinfo/reviews | bookinfo/ratings | 9080/http | bookinfo/ratings rules[0] | `GET /ratings/*` | denied by AuthorizationPolicy/bookinfo/allow-nothing (authorization) |',
      '',
      '### Exceptions added (1)',
      '',
      '| Exception | Rules | Objects | Ports | Owner | Expires | Justification |',
      '|---|---|---|---|---|---|---|',
      `| \`blueprint/reviews-image\` | \`IMG-DIGEST-001\` | Deployment/bookinfo/reviews |  | \`team-bookinfo@example.com\` | ${expires} (in 60 days) | `
        + 'The reviews image is only published by tag until the vendor ships digests next quarter. |',
      '',
    ].join('\n'));
  });

  test('json: the same three, with the policies and requests, the verdict and the inputs', async () => {
    const r = await cli(['diff', BASE, HEAD, '--format', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['base', 'head', 'toolVersion', 'today', 'expiringWithinDays', 'verdict', 'counts', 'edges', 'exceptions', 'findings']);
    expect([json.base, json.head, json.toolVersion, json.today, json.expiringWithinDays]).toEqual([BASE, HEAD, toolVersion(), daysFromNow(0), 14]);
    expect(json.edges.added.map((e: any) => [e.from, e.to, e.port, e.allowedBy, e.conditions])).toEqual([
      ['bookinfo/productpage', 'bookinfo/ratings', 9080, ['AuthorizationPolicy/bookinfo/ratings rules[0]'], ['GET /ratings/*']],
    ]);
    expect(json.edges.removed.map((e: any) => [e.from, e.to, e.port, e.allowedBy, e.now.decision, e.now.decidedBy])).toEqual([
      ['bookinfo/reviews', 'bookinfo/ratings', 9080, ['AuthorizationPolicy/bookinfo/ratings rules[0]'], 'denied', 'AuthorizationPolicy/bookinfo/allow-nothing'],
    ]);
    expect(json.exceptions.added.map((x: any) => [x.id, x.rules, x.objects, x.owner, x.expires, x.daysLeft])).toEqual([
      ['blueprint/reviews-image', ['IMG-DIGEST-001'], ['Deployment/bookinfo/reviews'], 'team-bookinfo@example.com', daysFromNow(60), 60],
    ]);
    const lists = Object.entries({ ...prefixed('edges', json.edges), ...prefixed('exceptions', json.exceptions), ...prefixed('findings', json.findings) })
      .filter(([, list]) => (list as unknown[]).length > 0).map(([k]) => k);
    expect(lists).toEqual(['edges.added', 'edges.removed', 'exceptions.added']);
    expect(json.verdict).toMatchObject({ changed: true, widensAccess: true, narrowsAccess: true, widensExceptions: true, newFindings: false });
  });

  test('table (the default): one block per change, + added, - removed', async () => {
    const r = await cli(['diff', BASE, HEAD]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe([
      'Security diff: 1 edge added, 1 edge removed, 1 exception added',
      'This change widens access, narrows access, adds or widens exceptions.',
      '',
      'Access added:',
      '  + bookinfo/productpage -> bookinfo/ratings:9080/http',
      '      allowed by bookinfo/ratings rules[0]; requests: GET /ratings/*',
      '',
      'Access removed:',
      '  - bookinfo/reviews -> bookinfo/ratings:9080/http',
      '      was allowed by bookinfo/ratings rules[0]; requests: GET /ratings/*; now denied by AuthorizationPolicy/bookinfo/allow-nothing (authorization)',
      '',
      'Exceptions added:',
      '  + blueprint/reviews-image: IMG-DIGEST-001 on Deployment/bookinfo/reviews',
      `      owner team-bookinfo@example.com; expires ${daysFromNow(60)} (in 60 days)`,
      '      The reviews image is only published by tag until the vendor ships digests next quarter.',
      '',
    ].join('\n'));
    expect(r.stdout).not.toMatch(ANSI);
    expect((await cli(['diff', BASE, HEAD], { tty: true })).stdout).toMatch(ANSI);
    expect((await cli(['diff', BASE, HEAD, '--no-color'], { tty: true })).stdout).not.toMatch(ANSI);
    expect((await cli(['diff', BASE, HEAD], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
  });

  test('--fail-on-widening exits 1 when access or exceptions widen; the report is printed all the same', async () => {
    const r = await cli(['diff', BASE, HEAD, '--format', 'markdown', '--fail-on-widening']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^## Security diff: 1 edge added/);
    // Only a grant removed: narrower, exit 0.
    expect((await cli(['diff', BASE, dist({ dropReviewsToRatings: true }), '--fail-on-widening'])).code).toBe(0);
    // Only a new exception: exit 1.
    expect((await cli(['diff', BASE, dist({ reviewsImageException: true }), '--fail-on-widening'])).code).toBe(1);
  });

  test('-o writes the report to a file (no colour), stdout stays empty', async () => {
    const out = path.join(path.dirname(HEAD), 'diff.md');
    const r = await cli(['diff', BASE, HEAD, '-f', 'markdown', '-o', out, '--color']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(fs.readFileSync(out, 'utf-8')).toBe((await cli(['diff', BASE, HEAD, '-f', 'markdown'])).stdout);
  });

  test('one side from standard input, one file instead of a directory', async () => {
    const r = await cli(['diff', '-', path.join(HEAD, 'blueprint.k8s.yaml'), '-f', 'json'], { stdin: fs.readFileSync(path.join(BASE, 'blueprint.k8s.yaml'), 'utf-8') });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ edgesAdded: 1, edgesRemoved: 1, exceptionsAdded: 1 });
  });
});

describe('cdk8s-secure-mesh diff: no change, expiring exceptions', () => {
  test('no change: a title and one sentence, exit 0 (also with --fail-on-widening)', async () => {
    const r = await cli(['diff', BASE, SAME, '--format', 'markdown', '--fail-on-widening']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('## Security diff: no change\n\nNo change to security.\n');
    expect((await cli(['diff', BASE, SAME])).stdout).toBe('Security diff: no change\nNo change to security.\n');
  });

  test('an exception expiring within --expiring-days is listed even when nothing changed', async () => {
    const soon = dist({ reviewsImageException: true, exceptionDays: 10 });
    const r = await cli(['diff', soon, soon, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      '## Security diff: no change; 1 exception expiring',
      '',
      'No change to security.',
      '',
      '### Exceptions expiring within 14 days (1)',
      '',
      '| Exception | Rules | Objects | Owner | Expires |',
      '|---|---|---|---|---|',
      `| \`blueprint/reviews-image\` | \`IMG-DIGEST-001\` | Deployment/bookinfo/reviews | \`team-bookinfo@example.com\` | ${daysFromNow(10)} (in 10 days) |`,
      '',
    ].join('\n'));
    expect((await cli(['diff', soon, soon, '--format', 'markdown', '--expiring-days', '7'])).stdout).toBe('## Security diff: no change\n\nNo change to security.\n');
  });
});

describe('cdk8s-secure-mesh diff: unreadable input and usage errors exit 2, comparing nothing', () => {
  test('a missing side', async () => {
    const missing = path.join(path.dirname(BASE), 'nope');
    const r = await cli(['diff', missing, HEAD, '-f', 'markdown']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: the base (${missing}) could not be read completely; nothing was compared`);
  });

  test('a side with a file that is not YAML: no half-read comparison', async () => {
    const broken = dist(SAMPLE);
    fs.writeFileSync(path.join(broken, 'broken.yaml'), 'kind: [unclosed\n');
    const r = await cli(['diff', BASE, broken]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/broken\.yaml/);
    expect(r.stderr).toContain(`error: the head (${broken}) could not be read completely; nothing was compared`);
  });

  test('an empty side', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-empty-'));
    created.push(empty);
    const r = await cli(['diff', BASE, empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: no Kubernetes objects found in the head (${empty}); nothing was compared`);
  });

  test('usage: both sides from stdin, a missing argument, a bad format, days or workload, a bad config file', async () => {
    const badConfig = path.join(path.dirname(BASE), 'secure-mesh.yaml');
    fs.writeFileSync(badConfig, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\ntrustDomain: 42\n');
    for (const args of [
      ['diff', '-', '-'],
      ['diff', BASE],
      ['diff', BASE, HEAD, '-f', 'sarif'],
      ['diff', BASE, HEAD, '--expiring-days', 'soon'],
      ['diff', BASE, HEAD, '--workload', 'not-a-workload'],
      ['diff', BASE, HEAD, '--config', badConfig],
      ['diff', BASE, HEAD, '--config', path.join(path.dirname(BASE), 'absent.yaml')],
    ]) {
      const r = await cli(args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr).toMatch(/error/);
    }
  });

  test('--help describes the command; it is registered next to audit and access', async () => {
    const help = await cli(['diff', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cdk8s-secure-mesh diff \[options\] <base> <head>/);
    for (const flag of ['--format <format>', '--workload <spec>', '--config <file>', '--expiring-days <days>', '--fail-on-widening']) expect(help.stdout).toContain(flag);
    expect((await cli(['--help'])).stdout).toMatch(/\n {2}diff \[options\] <base> <head>/);
  });
});

describe('cdk8s-secure-mesh diff: settings and declared workloads', () => {
  test('--config: the mesh settings apply to both sides', async () => {
    const config = path.join(path.dirname(BASE), 'mesh.yaml');
    fs.writeFileSync(config, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\ntrustDomain: cluster.local\nrootNamespace: istio-system\n');
    const r = await cli(['diff', BASE, HEAD, '--config', config, '-f', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ edgesAdded: 1, edgesRemoved: 1, exceptionsAdded: 1 });
  });

  test('--workload declares a gateway on both sides: nothing grants it here, so no edge', async () => {
    const r = await cli(['diff', BASE, SAME, '--workload', 'istio-system/istio-ingressgateway,sa=istio-ingressgateway-service-account,label=istio=ingressgateway']);
    expect([r.code, r.stdout]).toEqual([0, 'Security diff: no change\nNo change to security.\n']);
  });
});

describe('renderDiffMarkdown: escaping and the sections for other changes', () => {
  const empty: SecurityDiff = {
    today: '2026-06-01',
    expiringWithinDays: 14,
    verdict: { changed: true, widensAccess: true, narrowsAccess: false, widensExceptions: true, newFindings: true, summary: 'widens access, adds or widens exceptions, adds findings' },
    counts: {
      edgesAdded: 0,
      edgesRemoved: 0,
      edgesWidened: 1,
      edgesChanged: 0,
      exceptionsAdded: 0,
      exceptionsRemoved: 0,
      exceptionsWidened: 1,
      exceptionsChanged: 0,
      exceptionsExpiring: 0,
      findingsNew: 1,
      findingsFixed: 0,
      findingsExcepted: 0,
    },
    edges: { added: [], removed: [], widened: [], changed: [] },
    exceptions: { added: [], removed: [], widened: [], changed: [], expiring: [] },
    findings: { new: [], fixed: [], excepted: [] },
  };
  const edge = {
    from: 'shop/web',
    to: 'shop/api',
    port: 8080,
    protocol: 'http',
    decision: 'allowed' as any,
    allowedBy: ['AuthorizationPolicy/shop/api rules[0]'],
    conditions: ['GET /a|b'],
    networkIngress: [],
    networkEgress: [],
    mtlsMode: 'STRICT',
    plaintextAccepted: false,
  };
  const exception = {
    id: 'shop/x',
    rules: ['MESH-MTLS-002'],
    objects: ['PeerAuthentication/shop/x'],
    ports: [],
    owner: '@shop/team',
    justification: 'a <b>bold</b> | claim',
    expires: '2026-07-01',
    daysLeft: 30,
    registries: ['shop/secure-mesh-exceptions'],
    covers: [],
  };

  test('widened edges and exceptions list what changed; pipes and HTML in free text are escaped', () => {
    const d: SecurityDiff = {
      ...empty,
      edges: { ...empty.edges, widened: [{ from: 'shop/web', to: 'shop/api', port: 8080, requestsAdded: ['GET /a|b'], requestsRemoved: [], widened: ['requests added: GET /a|b'], narrowed: [], other: [], base: edge, head: edge }] },
      exceptions: { ...empty.exceptions, widened: [{ id: 'shop/x', widened: ['ports added: 9090'], narrowed: ['rules removed: MESH-AUTHZ-004'], other: [], base: exception, head: { ...exception, justification: 'x' } }] },
      findings: { ...empty.findings, new: [{ ruleId: 'MESH-MTLS-002', severity: 'error' as any, object: 'PeerAuthentication/shop/x', path: 'spec.mtls.mode', message: 'a <script> | b' }] },
    };
    expect(renderDiffMarkdown(d)).toBe([
      '## Security diff: 1 edge widened, 1 exception widened, 1 new finding',
      '',
      'This change widens access, adds or widens exceptions, adds findings.',
      '',
      '### Access widened (1)',
      '',
      '| From | To | Port | What changed | Allowed by (AuthorizationPolicy) |',
      '|---|---|---|---|---|',
      '| shop/web | shop/api | 8080/http | + requests added: GET /a\\|b | shop/api rules[0] |',
      '',
      '### Exceptions widened (1)',
      '',
      '| Exception | What changed | Owner | Expires |',
      '|---|---|---|---|',
      '| `shop/x` | + ports added: 9090<br>- rules removed: MESH-AUTHZ-004 | `@shop/team` | 2026-07-01 (in 30 days) |',
      '',
      '### New findings (1)',
      '',
      '| Rule | Severity | Object | Path | Message |',
      '|---|---|---|---|---|',
      '| `MESH-MTLS-002` | error | PeerAuthentication/shop/x | `spec.mtls.mode` | a &lt;script&gt; \\| b |',
      '',
    ].join('\n'));
  });
});

function prefixed(prefix: string, o: { [k: string]: unknown }): { [k: string]: unknown } {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}.${k}`, v]));
}
