import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { runAccessCli } from './access-cli-runner';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AppProtocol, HardenedNamespace, MeshBaseline, SecureService } from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { renderTable } from '../../src/audit/access-report';
import { AccessDecision } from '../../src/audit/access-types';
import { AccessExitCode, parseWorkload, registerAccessCommand, renderCheck } from '../../src/cli/access-command';
import { run } from '../../src/cli/main';

const GATEWAYS = [
  '--workload', 'istio-system/istio-ingressgateway,sa=istio-ingressgateway-service-account,label=istio=ingressgateway,port=8080,port=8443',
  '--workload', 'istio-system/istio-egressgateway,sa=istio-egressgateway-service-account,label=istio=egressgateway,port=8443',
];

/** A mesh on trust domain retail.example.com: web calls cart over gRPC (principals retail.example.com/ns/shop/sa/<account>). */
function retailObjects(): any[] {
  const chart = new Chart(Testing.app(), 'retail', { disableResourceNameHashes: true });
  new MeshBaseline(chart, 'mesh', { trustDomain: 'retail.example.com', allowedRegistries: ['registry.example.com'] });
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const image = (name: string) => `registry.example.com/${name}@sha256:${'c'.repeat(64)}`;
  const web = new SecureService(chart, 'web', { namespace: shop, image: image('web'), ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  new SecureService(chart, 'cart', { namespace: shop, image: image('cart'), ports: [{ name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }] }).allowFrom(web, { ports: [9090] });
  return Testing.synth(chart);
}

let dir: string;
let blueprint: string;
let retail: string;
let objects: any[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-cli-'));
  objects = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint'));
  blueprint = path.join(dir, 'blueprint.k8s.yaml');
  fs.writeFileSync(blueprint, objects.map((o) => stringify(o)).join('---\n'));
  retail = path.join(dir, 'retail.k8s.yaml');
  fs.writeFileSync(retail, retailObjects().map((o) => stringify(o)).join('---\n'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cli = runAccessCli;

describe('cdk8s-secure-mesh access', () => {
  test('the matrix as a table, exit 0', async () => {
    const r = await cli([blueprint, ...GATEWAYS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bookinfo/reviews');
    expect(r.stdout).toContain('GET /ratings/*');
    expect(r.stdout).toContain('8 edges');
    expect(r.stderr).toBe('');
  });

  test('over several outputs, a grant written on one side only is a warning after the matrix (NET-GRANT-001)', async () => {
    // The details team revokes the probe's grant; the probe's egress (another repository's) stays.
    const revoked = structuredClone(objects);
    const details = revoked.find((o: any) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'details');
    details.spec.rules = details.spec.rules.filter((r: any) => !JSON.stringify(r.from).includes('/ns/probes/'));
    const file = path.join(dir, 'revoked.k8s.yaml');
    fs.writeFileSync(file, revoked.map((o: any) => stringify(o)).join('---\n'));
    const r = await cli([file, ...GATEWAYS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('7 edges');
    expect(r.stderr).toMatch(/^warning: one-sided grant \(NET-GRANT-001\): NetworkPolicy\/probes\/loadgen-egress spec\.egress\[0\]: .*bookinfo\/details/m);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('json, mermaid and markdown are the library outputs', async () => {
    const matrix = AccessMatrix.fromManifests(objects, { workloads: GATEWAYS.filter((_, i) => i % 2 === 1).map(parseWorkload) });
    expect(JSON.parse((await cli([blueprint, ...GATEWAYS, '--format', 'json'])).stdout)).toEqual(JSON.parse(JSON.stringify(matrix.toJson())));
    expect((await cli([blueprint, ...GATEWAYS, '-f', 'mermaid'])).stdout).toBe(matrix.toMermaid());
    expect((await cli([blueprint, ...GATEWAYS, '-f', 'markdown'])).stdout).toBe(matrix.toMarkdown());
    // Without declared gateways, the inferred ones are noted on stderr (stdout stays machine-readable).
    const inferred = await cli([blueprint, '-f', 'mermaid']);
    expect(inferred.stderr).toContain('note: inferred gateway workload istio-system/istio-ingressgateway');
    expect((await cli([blueprint, '--no-infer-gateways', '-f', 'json'])).stdout).not.toContain('istio-ingressgateway"');
  });

  test('one question: allowed exits 0 and names the policy', async () => {
    const r = await cli([blueprint, '--from', 'bookinfo/reviews', '--to', 'bookinfo/ratings', '--port', '9080', '--method', 'GET', '--path', '/ratings/1']);
    expect(r.code).toBe(AccessExitCode.OK);
    expect(r.stdout).toMatch(/^ALLOWED bookinfo\/reviews -> bookinfo\/ratings:9080 \(GET \/ratings\/1 host ratings\.bookinfo\.svc\.cluster\.local\)\n/);
    expect(r.stdout).toContain('allowed by AuthorizationPolicy/bookinfo/ratings [authorization]');
  });

  test('one question: denied exits 1, names what is missing, and the policy of every layer', async () => {
    const r = await cli([blueprint, '--from', 'productpage', '--to', 'ratings', '--port', '9080', '--format', 'json']);
    expect(r.code).toBe(AccessExitCode.DENIED);
    const result = JSON.parse(r.stdout);
    // JSON: `allowed` is a boolean, `decision` the three-valued answer.
    expect(result).toMatchObject({ allowed: false, decision: 'denied', decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing', layer: 'authorization' });
    expect(result.reason).toMatch(/^nothing grants bookinfo\/productpage -> bookinfo\/ratings:9080, and 3 layers refuse it by default/);
    expect(result.missingGrants).toHaveLength(3);
    expect(result.layers.map((l: any) => [l.allowed, l.decidedBy])).toEqual([
      [false, 'NetworkPolicy/bookinfo/default-deny'], [false, 'NetworkPolicy/bookinfo/default-deny'],
      [true, 'PeerAuthentication/bookinfo/default'], [false, 'AuthorizationPolicy/bookinfo/allow-nothing'],
    ]);
    // In text: the answer, the layers, then what to add.
    expect((await cli([blueprint, '--from', 'productpage', '--to', 'ratings', '--port', '9080'])).stdout).toMatchSnapshot();
    const text = (await cli([blueprint, '--from', 'bookinfo/ratings', '--to', 'bookinfo/details', '--port', '9080'])).stdout;
    expect(text).toMatch(/^DENIED bookinfo\/ratings -> bookinfo\/details:9080 .*\ndecided by AuthorizationPolicy\/bookinfo\/allow-nothing \[authorization\]: nothing grants /);
    expect(text).toContain('to allow it, add:\n  - an Egress rule in a NetworkPolicy selecting bookinfo/ratings');
    expect(text).toContain("(with cdk8s-secure-mesh: the target SecureService's allowFrom(caller) writes them all)");
    expect(text).not.toMatch(/decided by NetworkPolicy\/bookinfo\/allow-dns/);
  });

  test('one question: unknown exits 3', async () => {
    const custom = path.join(dir, 'custom.yaml');
    fs.writeFileSync(custom, [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: x}\nspec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}}}',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: x}\nspec: {template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}}}',
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext, namespace: x}\nspec: {action: CUSTOM, provider: {name: opa}, rules: [{}]}',
    ].join('\n---\n'));
    const r = await cli([custom, '--from', 'x/a', '--to', 'x/b', '--port', '80', '--jwt-issuer', 'https://i', '--jwt-subject', 's', '--host', 'b', '--sni', 'b']);
    expect(r.code).toBe(AccessExitCode.UNKNOWN);
    expect(r.stdout).toContain('UNKNOWN x/a -> x/b:80');
    expect(r.stdout).toContain('external authorizer "opa"');
  });

  test('usage errors exit 2: partial questions, graph formats with a question, unknown workloads, bad specs', async () => {
    expect(await cli([blueprint, '--from', 'bookinfo/reviews'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--from, --to and --port go together') });
    expect(await cli([blueprint, '--from', 'a', '--to', 'b', '--port', '1', '-f', 'mermaid'])).toMatchObject({ code: 2, stderr: expect.stringContaining('draws the whole matrix') });
    expect(await cli([blueprint, '--from', 'nope', '--to', 'bookinfo/ratings', '--port', '9080'])).toMatchObject({ code: 2, stderr: expect.stringContaining('"nope" is not a workload') });
    expect((await cli([blueprint, '--port', 'http'])).code).toBe(2);
    expect((await cli([blueprint, '--workload', 'nonamespace'])).code).toBe(2);
    expect((await cli([blueprint, '--workload', 'a/b,colour=blue'])).stderr).toContain('is not sa=ACCOUNT');
    expect((await cli([blueprint, '-f', 'sarif'])).code).toBe(2);
  });

  test('bad input: errors name the file, the rest is used, exit 2; nothing usable at all exits 2', async () => {
    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, 'kind: [unclosed\n');
    const r = await cli([blueprint, broken, path.join(dir, 'missing.yaml'), ...GATEWAYS]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('8 edges');
    expect(r.stderr).toContain('broken.yaml');
    expect(r.stderr).toContain('missing.yaml: no such file or directory');
    expect(r.stderr).toContain('skipped 2 input(s)');
    const empty = await cli(['-'], '');
    expect(empty).toMatchObject({ code: 2, stderr: expect.stringContaining('no Kubernetes objects found') });
  });

  test('stdin and --output', async () => {
    const out = path.join(dir, 'matrix.md');
    const r = await cli(['-', ...GATEWAYS, '-f', 'markdown', '-o', out], fs.readFileSync(blueprint, 'utf-8'));
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(fs.readFileSync(out, 'utf-8')).toContain('```mermaid\ngraph LR');
    expect((await cli([blueprint, '-o', path.join(dir, 'no', 'such', 'dir', 'x')])).code).toBe(2);
  });

  test('registered by the CLI entry point (with or without the entry point passing its io)', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => { writes.push(String(s)); return true; });
    const before = process.exitCode;
    try {
      const code = await run(['access', blueprint, '--from', 'bookinfo/details', '--to', 'bookinfo/ratings', '--port', '9080'],
        { stdout: { write: (s: string) => writes.push(s) }, stderr: { write: () => true } });
      expect(writes.join('')).toContain('DENIED bookinfo/details -> bookinfo/ratings:9080');
      // Without io the command sets process.exitCode; with it, the entry point returns the code.
      expect([code, process.exitCode]).toContain(AccessExitCode.DENIED);
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
  });
});

describe('access: the table fits the screen', () => {
  const LONG = 'GET /api/v1/products/* /logout /productpage /static/*; JWT https://sts.mesh.example.com/*';
  const width = (text: string) => Math.max(...text.split('\n').map((l) => [...l].length));

  test('wrapped to 120 columns by default, and the same when stdout is not a terminal, whatever its columns', async () => {
    const r = await cli([blueprint, ...GATEWAYS]);
    for (const line of r.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(120);
    expect(r.stdout).not.toContain(LONG);
    expect((await cli([blueprint, ...GATEWAYS], undefined, { isTTY: false, columns: 80 })).stdout).toBe(r.stdout);
    expect((await cli([blueprint, ...GATEWAYS], undefined, { isTTY: true, columns: 200 })).stdout).toBe(r.stdout);
  });

  test('a narrower terminal narrows it; --wide prints each cell line on one line', async () => {
    expect(width((await cli([blueprint, ...GATEWAYS], undefined, { isTTY: true, columns: 100 })).stdout)).toBeLessThanOrEqual(100);
    const wide = await cli([blueprint, ...GATEWAYS, '--wide']);
    expect(wide.stdout).toContain(LONG);
    expect(width(wide.stdout)).toBeGreaterThan(120);
    const matrix = AccessMatrix.fromManifests(objects, { workloads: GATEWAYS.filter((_, i) => i % 2 === 1).map(parseWorkload) });
    expect(wide.stdout).toBe(renderTable(matrix.edges(), [], 0));
  });

  test('notes go to stderr in every format, so stdout is the table', async () => {
    const r = await cli([blueprint]);
    expect(r.stdout).not.toContain('note:');
    expect(r.stderr).toContain('note: inferred gateway workload istio-system/istio-ingressgateway');
  });
});

describe('access: trust domain', () => {
  const HINT = /AuthorizationPolicy\/shop\/cart names principals of trust domain retail\.example\.com, but the trust domain evaluated is cluster\.local.*--trust-domain retail\.example\.com/;

  test('--trust-domain and --root-namespace have no commander default; runAccess applies Istio\'s', async () => {
    const program = new Command('x');
    registerAccessCommand(program, { stdout: { write: () => true }, stderr: { write: () => true } }, () => undefined);
    const access = program.commands.find((c) => c.name() === 'access')!;
    for (const flag of ['--trust-domain', '--root-namespace', '--trust-domain-alias']) {
      expect(access.options.find((o) => o.long === flag)!.defaultValue).toBeUndefined();
    }
    const json = JSON.parse((await cli([blueprint, ...GATEWAYS, '-f', 'json'])).stdout);
    expect(json).toMatchObject({ trustDomain: 'cluster.local', trustDomainAliases: [], rootNamespace: 'istio-system' });
  });

  test('principals of another trust domain: no edge, and a note on stderr in every format', async () => {
    for (const format of ['table', 'json', 'mermaid', 'markdown']) {
      const r = await cli([retail, '-f', format]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`(^|\\n)note: ${HINT.source}`));
      // stdout is the answer (JSON carries the warnings in its own field).
      if (format === 'json') expect(JSON.parse(r.stdout).warnings).toEqual([expect.stringMatching(HINT)]);
      else expect(r.stdout).not.toContain('retail.example.com, but');
    }
    expect((await cli([retail])).stdout).toContain('No workload can call another.');
  });

  test('a denied question gets it as a hint after the answer; with --trust-domain (or an alias) the call is allowed', async () => {
    const denied = await cli([retail, '--from', 'shop/web', '--to', 'shop/cart', '--port', '9090']);
    expect(denied.code).toBe(AccessExitCode.DENIED);
    expect(denied.stdout).toMatch(/^DENIED shop\/web -> shop\/cart:9090 \(grpc POST /);
    expect(denied.stderr).toMatch(new RegExp(`^hint: ${HINT.source}`));
    expect((await cli([retail, '--from', 'shop/web', '--to', 'shop/cart', '--port', '9090', '-f', 'json'])).stderr).toMatch(/^hint: /);

    const set = await cli([retail, '--trust-domain', 'retail.example.com', '--from', 'shop/web', '--to', 'shop/cart', '--port', '9090']);
    expect(set).toMatchObject({ code: AccessExitCode.OK, stderr: '' });
    expect(set.stdout).toMatch(/^ALLOWED shop\/web -> shop\/cart:9090 \(grpc POST \S+ host cart\.shop\.svc\.cluster\.local\)\n/);
    const aliased = await cli([retail, '--trust-domain', 'new.example.com', '--trust-domain-alias', 'old.example.com', '--trust-domain-alias', 'retail.example.com', '-f', 'json']);
    expect(JSON.parse(aliased.stdout)).toMatchObject({ trustDomain: 'new.example.com', trustDomainAliases: ['old.example.com', 'retail.example.com'], edges: [{ from: 'shop/web', to: 'shop/cart', protocol: 'grpc' }] });
    expect(aliased.stderr).toBe('');
  });
});

describe('access: request paths are normalized as the mesh does (--path-normalization)', () => {
  test('BASE by default: a climbing path is judged where it lands, and the answer says so; NONE matches the raw path; a bad level is a usage error', async () => {
    const q = ['--from', 'bookinfo/reviews', '--to', 'bookinfo/ratings', '--port', '9080', '--method', 'GET', '--path', '/ratings/../details/0'];
    const base = await cli([blueprint, ...GATEWAYS, ...q]);
    expect(base.code).toBe(AccessExitCode.DENIED);
    expect(base.stdout).toContain("path /ratings/../details/0 is /details/0 after Istio's BASE path normalization");
    const none = await cli([blueprint, ...GATEWAYS, ...q, '--path-normalization', 'NONE']);
    expect(none.code).toBe(AccessExitCode.OK);
    const bad = await cli([blueprint, ...GATEWAYS, ...q, '--path-normalization', 'SOME']);
    expect(bad.code).not.toBe(AccessExitCode.OK);
    expect(bad.stderr).toMatch(/--path-normalization.*Allowed choices are NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES/);
  });
});

describe('access: token states (--token)', () => {
  test('none: productpage, which requires the exchanged token, refuses the gateway\'s request; a bad state is a usage error', async () => {
    const q = ['--from', 'istio-system/istio-ingressgateway', '--to', 'bookinfo/productpage', '--port', '9080', '--method', 'GET', '--path', '/productpage'];
    expect((await cli([blueprint, ...GATEWAYS, ...q])).code).toBe(AccessExitCode.OK);
    const none = await cli([blueprint, ...GATEWAYS, ...q, '--token', 'none']);
    expect(none.code).toBe(AccessExitCode.DENIED);
    const invalid = await cli([blueprint, ...GATEWAYS, ...q, '--token', 'invalid']);
    expect(invalid.code).toBe(AccessExitCode.DENIED);
    expect(invalid.stdout).toContain('rejects a token that fails validation (401)');
    const bad = await cli([blueprint, ...GATEWAYS, ...q, '--token', 'expired']);
    expect(bad.stderr).toMatch(/--token.*Allowed choices are none, invalid/);
  });
});

describe('access: the mesh settings file', () => {
  test('./secure-mesh.yaml (or --config) sets the trust domain without flags; a flag overrides it; a bad file is a usage error', async () => {
    const settingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-access-'));
    try {
      const body = 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\ntrustDomain: retail.example.com\n';
      fs.writeFileSync(path.join(settingsDir, 'secure-mesh.yaml'), body);
      const question = ['--from', 'shop/web', '--to', 'shop/cart', '--port', '9090'];
      expect((await cli([retail, '--config', path.join(settingsDir, 'secure-mesh.yaml'), ...question])).code).toBe(AccessExitCode.OK);
      const before = process.cwd();
      process.chdir(settingsDir);
      try {
        expect((await cli([retail, ...question])).code).toBe(AccessExitCode.OK);
        expect((await cli([retail, '--trust-domain', 'cluster.local', ...question])).code).toBe(AccessExitCode.DENIED);
      } finally {
        process.chdir(before);
      }
      fs.writeFileSync(path.join(settingsDir, 'bad.yaml'), `${body}trustDomains: []\n`);
      const bad = await cli([retail, '--config', path.join(settingsDir, 'bad.yaml')]);
      expect(bad.code).toBe(AccessExitCode.USAGE);
      expect(bad.stderr).toMatch(/bad\.yaml: unknown field "trustDomains"/);
    } finally {
      fs.rmSync(settingsDir, { recursive: true, force: true });
    }
  });
});

describe('helpers', () => {
  test('parseWorkload', () => {
    expect(parseWorkload('istio-system/gw,sa=gw-sa,label=istio=ingressgateway,label=app=gw,port=8080,port=8443,sidecar=true')).toEqual({
      namespace: 'istio-system', name: 'gw', serviceAccount: 'gw-sa', labels: { istio: 'ingressgateway', app: 'gw' }, ports: [8080, 8443], sidecar: true,
    });
    expect(parseWorkload('a/b')).toEqual({ namespace: 'a', name: 'b', serviceAccount: undefined, labels: undefined, ports: undefined, sidecar: undefined });
    expect(() => parseWorkload('a/b,port=0')).toThrow(/is not sa=ACCOUNT/);
    expect(() => parseWorkload('A/b')).toThrow(/is not namespace\/name/);
  });

  test('renderCheck: colours only when asked; TCP requests', () => {
    const matrix = AccessMatrix.fromManifests([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'x' }, spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 5432 }] }] } } } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b', namespace: 'x' }, spec: { template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 5432 }] }] } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'x' }, spec: { selector: { app: 'b' }, ports: [{ name: 'tcp', port: 5432 }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'b', namespace: 'x' }, spec: { rules: [{ when: [{ key: 'connection.sni', values: ['db'] }] }] } },
    ]);
    const r = matrix.check({ from: 'x/a', to: 'x/b', port: 5432 });
    expect(r.decision).toBe(AccessDecision.ALLOWED);
    expect(renderCheck(r)).toMatch(/^ALLOWED x\/a -> x\/b:5432 \(tcp SNI db\)\n/);
    expect(renderCheck(r, true)).toContain('\u001b[32mALLOWED');
  });
});
