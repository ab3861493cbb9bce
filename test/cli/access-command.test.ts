import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Command, CommanderError } from 'commander';
import { stringify } from 'yaml';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision } from '../../src/audit/access-types';
import { AccessExitCode, parseWorkload, registerAccessCommand, renderCheck } from '../../src/cli/access-command';
import { run } from '../../src/cli/main';

const GATEWAYS = [
  '--workload', 'istio-system/istio-ingressgateway,sa=istio-ingressgateway-service-account,label=istio=ingressgateway,port=8080,port=8443',
  '--workload', 'istio-system/istio-egressgateway,sa=istio-egressgateway-service-account,label=istio=egressgateway,port=8443',
];

let dir: string;
let blueprint: string;
let objects: any[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-cli-'));
  objects = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint'));
  blueprint = path.join(dir, 'blueprint.k8s.yaml');
  fs.writeFileSync(blueprint, objects.map((o) => stringify(o)).join('---\n'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, readStdin: () => stdin ?? '', env: {} };
  const program = new Command('cdk8s-secure-mesh').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerAccessCommand(program, io, (c) => { code = c; });
  try {
    await program.parseAsync(['access', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : AccessExitCode.USAGE;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('cdk8s-secure-mesh access', () => {
  test('the matrix as a table, exit 0', async () => {
    const r = await cli([blueprint, ...GATEWAYS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bookinfo/reviews');
    expect(r.stdout).toContain('GET /ratings/*');
    expect(r.stdout).toContain('5 edges');
    expect(r.stderr).toBe('');
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

  test('one question: denied exits 1 and names the policy of every layer', async () => {
    const r = await cli([blueprint, '--from', 'productpage', '--to', 'ratings', '--port', '9080', '--format', 'json']);
    expect(r.code).toBe(AccessExitCode.DENIED);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ allowed: false, decidedBy: 'NetworkPolicy/bookinfo/productpage-egress', layer: 'network' });
    expect(result.layers[3].decidedBy).toBe('AuthorizationPolicy/bookinfo/ratings');
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
    expect(r.stdout).toContain('5 edges');
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
