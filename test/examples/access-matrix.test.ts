import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { BOOKINFO_MESH_CALLS, EGRESS_GATEWAY, INGRESS_GATEWAY } from './bookinfo-calls';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AppProtocol, HardenedNamespace, MeshBaseline, SecureService } from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision, AccessLayer, DeclaredWorkload } from '../../src/audit/access-types';

/**
 * The Bookinfo blueprint's access matrix equals its intended call graph, exactly (AUTHZ-1..4,
 * EGRESS-1, INGRESS-1): no edge more, no edge less. examples/blueprint/README.md is generated from
 * the same matrix and must match it (regenerate with UPDATE_ACCESS_MD=1).
 */

/** The gateways Istio installs (their pods are not in the blueprint's manifests). */
export const BLUEPRINT_GATEWAYS: DeclaredWorkload[] = [INGRESS_GATEWAY, EGRESS_GATEWAY];

/** Caller -> target:port, exactly what the blueprint intends (examples/blueprint/blueprint.ts). */
const INTENDED = [...BOOKINFO_MESH_CALLS, 'bookinfo/details -> istio-system/istio-egressgateway:8443'];

const ACCESS_MD = path.join(__dirname, '..', '..', 'examples', 'blueprint', 'README.md');

/**
 * A small retail blueprint on a mesh whose trust domain is retail.example.com: web calls the cart
 * over gRPC. Its AuthorizationPolicies name principals retail.example.com/ns/shop/sa/<account>.
 */
function retailObjects(): any[] {
  const chart = new Chart(Testing.app(), 'retail', { disableResourceNameHashes: true });
  new MeshBaseline(chart, 'mesh', { trustDomain: 'retail.example.com', allowedRegistries: ['registry.example.com'] });
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const image = (name: string, digit: string) => `registry.example.com/${name}@sha256:${digit.repeat(64)}`;
  const web = new SecureService(chart, 'web', { namespace: shop, image: image('web', 'a'), ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  const cart = new SecureService(chart, 'cart', { namespace: shop, image: image('cart', 'b'), ports: [{ name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }] });
  cart.allowFrom(web, { ports: [9090] });
  return Testing.synth(chart);
}

function blueprintMatrix(options: { inferGateways?: boolean; declare?: boolean } = {}): AccessMatrix {
  const objects = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint'));
  const workloads = options.declare === false ? [] : BLUEPRINT_GATEWAYS;
  return AccessMatrix.fromManifests(objects, { workloads, inferGateways: options.inferGateways });
}

/** The text of examples/blueprint/README.md. */
export function renderAccessDoc(matrix: AccessMatrix): string {
  return [
    '# Example blueprint: Istio Bookinfo, zero trust',
    '',
    'A mesh baseline, a hardened `bookinfo` namespace, the four Bookinfo services with exactly the calls they',
    'need, Bookinfo\'s MongoDB as a StatefulSet with its own volume (seeded by a Job, compacted nightly by a',
    'CronJob), a probe of the details API that only calls, from its own `probes` namespace, an HTTPS-only',
    'ingress gateway behind Cloud Armor with sign-in and token exchange, one egress grant, operator roles and',
    'admission guardrails: see [blueprint.ts](blueprint.ts) and [bookinfo.ts](bookinfo.ts). Synthesize it',
    'with `npx cdk8s synth` here, or `npm run synth:example` at the repository root (writes',
    '`examples/blueprint/dist/`). The same blueprint as two repositories, a platform team\'s and the',
    'Bookinfo team\'s, is [../multi-repo](../multi-repo).',
    '',
    '## Access matrix',
    '',
    '<!-- Generated from examples/blueprint/blueprint.ts by AccessMatrix (test/examples/access-matrix.test.ts). Do not edit:',
    '     regenerate with `UPDATE_ACCESS_MD=1 npx jest test/examples/access-matrix`. -->',
    '',
    'Who can call whom, and why, evaluated offline from the synthesized manifests: the',
    'AuthorizationPolicies (CUSTOM, DENY, ALLOW in Istio\'s order), RequestAuthentications and',
    'PeerAuthentications at each target, and the NetworkPolicies on both sides. Each row is a call',
    'that every layer admits; every other workload-to-workload call is denied by the mesh-wide and',
    'namespace `allow-nothing` policies at L7 and by the default-deny NetworkPolicies at L3/L4.',
    '',
    'The gateways are declared (Istio installs them): `istio-system/istio-ingressgateway`',
    '(service account `istio-ingressgateway-service-account`, ports 8080/8443) and',
    '`istio-system/istio-egressgateway` (service account `istio-egressgateway-service-account`, port 8443).',
    '',
    'Reproduce it, or ask one question, with the CLI:',
    '',
    '```sh',
    'cdk8s synth',
    'cdk8s-secure-mesh access dist/ \\',
    '  --workload istio-system/istio-ingressgateway,sa=istio-ingressgateway-service-account,label=istio=ingressgateway,port=8080,port=8443 \\',
    '  --workload istio-system/istio-egressgateway,sa=istio-egressgateway-service-account,label=istio=egressgateway,port=8443 \\',
    '  --format markdown',
    'cdk8s-secure-mesh access dist/ --from bookinfo/productpage --to bookinfo/ratings --port 9080',
    '```',
    '',
    matrix.toMarkdown(),
  ].join('\n');
}

describe('examples/blueprint access matrix (Bookinfo)', () => {
  const matrix = blueprintMatrix();

  test('AUTHZ-4: the matrix is exactly the intended call graph: no edge more, no edge less', () => {
    expect(matrix.edges().map((e) => `${e.from} -> ${e.to}:${e.port}`).sort()).toEqual([...INTENDED].sort());
    for (const e of matrix.edges()) {
      expect(e.allowed).toBe(true);
      // Every edge is allowed by a named ALLOW rule, admitted by NetworkPolicies on the target side, and mutually authenticated.
      expect(e.allowedBy.length).toBeGreaterThan(0);
      expect(e.networkIngress.length).toBeGreaterThan(0);
      expect([e.mtlsMode, e.plaintextAccepted]).toEqual(['STRICT', false]);
    }
    expect(matrix.warnings()).toEqual([]);
  });

  test('the policies behind each edge', () => {
    const byEdge = Object.fromEntries(matrix.edges().map((e) => [`${e.from} -> ${e.to}:${e.port}`, e]));
    expect(byEdge['bookinfo/reviews -> bookinfo/ratings:9080']).toMatchObject({
      allowedBy: ['AuthorizationPolicy/bookinfo/ratings rules[0]'],
      conditions: ['GET /ratings/*'],
      networkIngress: ['NetworkPolicy/bookinfo/ratings-ingress'],
      networkEgress: ['NetworkPolicy/bookinfo/reviews-egress'],
      mtlsPolicy: 'PeerAuthentication/bookinfo/default',
    });
    // TOKEN-1: only the gateway's identity with an exchanged (internal) token reaches productpage.
    expect(byEdge['istio-system/istio-ingressgateway -> bookinfo/productpage:9080']).toMatchObject({
      allowedBy: ['AuthorizationPolicy/bookinfo/productpage rules[0]', 'AuthorizationPolicy/bookinfo/productpage rules[1]'],
      conditions: ['GET /api/v1/products/* /logout /productpage /static/*; JWT https://sts.mesh.example.com/*', 'GET,POST /login; JWT https://sts.mesh.example.com/*'],
      networkEgress: [],
      example: { requestPrincipal: 'https://sts.mesh.example.com/subject', principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account' },
    });
    // EGRESS-1: details reaches the egress gateway for www.googleapis.com only.
    expect(byEdge['bookinfo/details -> istio-system/istio-egressgateway:8443']).toMatchObject({
      allowedBy: ['AuthorizationPolicy/istio-system/istio-egressgateway rules[0]'],
      conditions: ['connection.sni=www.googleapis.com'],
      networkIngress: ['NetworkPolicy/istio-system/istio-egressgateway-ingress'],
      networkEgress: ['NetworkPolicy/bookinfo/details-egress'],
      mtlsPolicy: 'PeerAuthentication/istio-system/default',
    });
  });

  test('reviews -> ratings GET /ratings/1 is allowed by AuthorizationPolicy bookinfo/ratings', () => {
    expect(matrix.check({ from: 'bookinfo/reviews', to: 'bookinfo/ratings', port: 9080, method: 'GET', path: '/ratings/1' })).toMatchObject({
      allowed: true, decision: AccessDecision.ALLOWED, decidedBy: 'AuthorizationPolicy/bookinfo/ratings', layer: AccessLayer.AUTHORIZATION,
    });
    // But not POST: ratings accepts only reads from reviews. Nothing grants POST, and the allow-nothing policy makes that a denial.
    const post = matrix.check({ from: 'bookinfo/reviews', to: 'bookinfo/ratings', port: 9080, method: 'POST', path: '/ratings/1' });
    expect(post).toMatchObject({
      allowed: false,
      decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing',
      layer: AccessLayer.AUTHORIZATION,
      reason: expect.stringContaining('AuthorizationPolicy/bookinfo/ratings: rules[0]: method POST is not one of [GET]'),
    });
    // Only the ALLOW rule is missing: both NetworkPolicy sides admit reviews.
    expect(post.missingGrants).toEqual([expect.stringMatching(/^an ALLOW rule in an AuthorizationPolicy selecting bookinfo\/ratings .*to\.operation\.methods \[POST\]/)]);
  });

  test('productpage -> ratings is denied by default: the answer names the missing ALLOW rule, then the NetworkPolicy rules', () => {
    const r = matrix.check({ from: 'bookinfo/productpage', to: 'bookinfo/ratings', port: 9080, method: 'GET', path: '/ratings/1' });
    expect(r).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.AUTHORIZATION, decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing' });
    expect(r.reason).toMatch(/^nothing grants bookinfo\/productpage -> bookinfo\/ratings:9080, and 3 layers refuse it by default\. authorization: no ALLOW rule of bookinfo\/ratings admits principal cluster\.local\/ns\/bookinfo\/sa\/bookinfo-productpage on port 9080 for GET \/ratings\/1/);
    // Not productpage's own egress grant (to details and reviews), nor ratings' grant for reviews.
    expect(r.reason).not.toContain('NetworkPolicy/bookinfo/productpage-egress');
    expect(r.missingGrants).toEqual([
      'an Egress rule in a NetworkPolicy selecting bookinfo/productpage (namespace bookinfo) that admits the pods of bookinfo/ratings on TCP port 9080',
      'an Ingress rule in a NetworkPolicy selecting bookinfo/ratings (namespace bookinfo) that admits the pods of bookinfo/productpage on TCP port 9080',
      'an ALLOW rule in an AuthorizationPolicy selecting bookinfo/ratings (namespace bookinfo) with from.source.principals [cluster.local/ns/bookinfo/sa/bookinfo-productpage] '
      + 'and to.operation.ports [9080], to.operation.methods [GET], to.operation.paths [/ratings/1]',
    ]);
    // Every layer, in traffic order, names what makes it refuse: the default deny, the allow-nothing policy.
    expect(r.layers.map((l) => [l.layer, l.allowed, l.decidedBy])).toEqual([
      ['network', false, 'NetworkPolicy/bookinfo/default-deny'],
      ['network', false, 'NetworkPolicy/bookinfo/default-deny'],
      ['mtls', true, 'PeerAuthentication/bookinfo/default'],
      ['authorization', false, 'AuthorizationPolicy/bookinfo/allow-nothing'],
    ]);
    expect(r.layers[3].reason).toContain('principal cluster.local/ns/bookinfo/sa/bookinfo-productpage is not one of [cluster.local/ns/bookinfo/sa/bookinfo-reviews]');
  });

  test('every pair the blueprint does not grant is refused by default, and says what is missing', () => {
    const granted = new Set(INTENDED);
    const workloads = matrix.workloads();
    let refused = 0;
    for (const caller of workloads) {
      for (const target of workloads) {
        for (const port of target.ports) {
          if (caller.id === target.id || granted.has(`${caller.id} -> ${target.id}:${port}`)) continue;
          const r = matrix.check({ from: caller.id, to: target.id, port });
          expect(r.decision).toBe(AccessDecision.DENIED);
          // In bookinfo, the allow-nothing policy (the mesh-wide and namespace ones at L7 catch every other call).
          if (target.namespace === 'bookinfo') expect(r.decidedBy).toBe('AuthorizationPolicy/bookinfo/allow-nothing');
          expect(r.decidedBy).not.toMatch(/allow-dns|allow-istiod/);
          expect(r.reason).toMatch(/^nothing grants /);
          expect(r.missingGrants.length).toBeGreaterThan(0);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(20);
  });

  test('a caller with no grants at all (ratings): named are the default deny and allow-nothing, not its DNS/istiod egress policies', () => {
    const r = matrix.check({ from: 'bookinfo/ratings', to: 'bookinfo/details', port: 9080 });
    expect(r).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing', layer: AccessLayer.AUTHORIZATION });
    expect(r.layers[0]).toMatchObject({ decidedBy: 'NetworkPolicy/bookinfo/default-deny', reason: expect.stringContaining('admit other traffic only') });
    expect(r.decidedBy).not.toMatch(/allow-dns|allow-istiod/);
    expect(r.missingGrants).toHaveLength(3);
    const d = matrix.check({ from: 'bookinfo/details', to: 'bookinfo/ratings', port: 9080 });
    expect(d).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing', layer: AccessLayer.AUTHORIZATION });
    expect(d.layers[3]).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing', policies: expect.arrayContaining(['AuthorizationPolicy/bookinfo/ratings']) });
  });

  test('INGRESS-1/TOKEN-1: productpage needs the gateway identity and an internal token; an external token is not enough', () => {
    const gw = 'istio-system/istio-ingressgateway';
    expect(matrix.check({ from: gw, to: 'bookinfo/productpage', port: 9080, method: 'GET', path: '/productpage', jwtIssuer: 'https://sts.mesh.example.com' }))
      .toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/bookinfo/productpage' });
    expect(matrix.check({ from: gw, to: 'bookinfo/productpage', port: 9080, method: 'GET', path: '/productpage', jwtIssuer: 'https://login.example.com' }))
      .toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing', reason: expect.stringContaining('AuthorizationPolicy/bookinfo/productpage: rules[0]') });
    expect(matrix.check({ from: gw, to: 'bookinfo/productpage', port: 9080, method: 'DELETE', path: '/productpage', jwtIssuer: 'https://sts.mesh.example.com' }).allowed).toBe(false);
  });

  test('gateways inferred from the Gateway selectors give the same matrix (with warnings saying so)', () => {
    const inferred = blueprintMatrix({ declare: false });
    expect(inferred.edges()).toEqual(matrix.edges());
    expect(inferred.warnings()).toHaveLength(2);
    expect(blueprintMatrix({ declare: false, inferGateways: false }).edges().map((e) => `${e.from} -> ${e.to}:${e.port}`))
      .toEqual([
        'bookinfo/mongodb-compact -> bookinfo/mongodb:27017', 'bookinfo/mongodb-seed -> bookinfo/mongodb:27017',
        'bookinfo/productpage -> bookinfo/details:9080', 'bookinfo/productpage -> bookinfo/reviews:9080', 'bookinfo/reviews -> bookinfo/ratings:9080',
        'probes/loadgen -> bookinfo/details:9080',
      ]);
  });

  test('the table fits 120 columns; maxWidth 0 (the CLI\'s --wide) keeps each cell line on one line', () => {
    const table = matrix.toTable();
    expect(table).toMatchSnapshot();
    const lines = table.trimEnd().split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(120);
    // The widest line is the border: the table uses the width it has.
    expect(Math.max(...lines.map((l) => [...l].length))).toBe(120);
    expect(table).toContain('8 edges');
    const wide = matrix.toTable({ maxWidth: 0 });
    expect(wide).toContain('GET /api/v1/products/* /logout /productpage /static/*; JWT https://sts.mesh.example.com/*');
    expect(wide).toContain('in: istio-system/istio-egressgateway-ingress');
    expect(Math.max(...wide.split('\n').map((l) => [...l].length))).toBeGreaterThan(120);
    // The same rows: a separator under the heading and between the eight rows.
    const separators = (t: string) => t.split('\n').filter((l) => l.startsWith('├')).length;
    expect([separators(table), separators(wide)]).toEqual([8, 8]);
  });

  test('examples/blueprint/README.md is the generated matrix (regenerate with UPDATE_ACCESS_MD=1)', () => {
    const text = renderAccessDoc(matrix);
    if (process.env.UPDATE_ACCESS_MD) fs.writeFileSync(ACCESS_MD, text);
    expect(fs.existsSync(ACCESS_MD)).toBe(true);
    expect(fs.readFileSync(ACCESS_MD, 'utf-8')).toBe(text);
  });
});

describe('a blueprint on another trust domain (retail.example.com), with a gRPC service', () => {
  const objects = retailObjects();

  test('evaluated with the default trust domain: no edge, and a warning naming retail.example.com and how to set it', () => {
    const m = AccessMatrix.fromManifests(objects);
    expect(m.edges()).toEqual([]);
    const notes = m.warnings().filter((w) => w.includes('retail.example.com'));
    expect(notes).toEqual([expect.stringMatching(/^AuthorizationPolicy\/shop\/cart names principals of trust domain retail\.example\.com, but the trust domain evaluated is cluster\.local/)]);
    for (const where of ['secure-mesh.yaml', '--trust-domain retail.example.com', 'AccessMatrixOptions.trustDomain']) expect(notes[0]).toContain(where);
  });

  test('with trustDomain set: web -> cart over gRPC (a POST)', () => {
    const m = AccessMatrix.fromManifests(objects, { trustDomain: 'retail.example.com' });
    expect(m.warnings()).toEqual([]);
    expect(m.edges().map((e) => `${e.from} -> ${e.to}:${e.port}/${e.protocol}`)).toEqual(['shop/web -> shop/cart:9090/grpc']);
    expect(m.edges()[0]).toMatchObject({
      allowedBy: ['AuthorizationPolicy/shop/cart rules[0]'],
      example: { protocol: 'grpc', method: 'POST', principal: 'retail.example.com/ns/shop/sa/web' },
    });
    expect(m.check({ from: 'shop/web', to: 'shop/cart', port: 9090 })).toMatchObject({ decision: AccessDecision.ALLOWED, decidedBy: 'AuthorizationPolicy/shop/cart' });
  });
});
