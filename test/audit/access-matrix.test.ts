import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { allowedByText, fitColumns, mtlsText, networkText, renderMarkdown, renderTable, wrapText } from '../../src/audit/access-report';
import { AccessDecision, AccessEdge, AccessLayer, TokenState } from '../../src/audit/access-types';
import { PathNormalization } from '../../src/audit/path-normalization';

const NS = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } };

function deploy(name: string, port = 8080, sa = name): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: { template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: sa, containers: [{ name: 'c', ports: [{ containerPort: port, name: 'http' }] }] } } },
  };
}

function svc(name: string, port: number, targetPort: number, portName = 'http'): any {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector: { app: name }, ports: [{ name: portName, port, targetPort }] } };
}

function ap(name: string, spec: any, namespace = 'shop'): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

const principal = (sa: string) => `cluster.local/ns/shop/sa/${sa}`;

const SHOP = [
  NS, deploy('web'), deploy('api'), deploy('db', 5432), svc('api', 80, 8080), svc('db', 5432, 5432, 'tcp-pg'),
  ap('allow-nothing', {}),
  ap('api', { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }] }),
  ap('db', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: [principal('api')] } }], to: [{ operation: { ports: ['5432'] } }] }] }),
];

describe('AccessMatrix', () => {
  test('edges: every caller -> target:port allowed at L7 and L4, sorted, with why', () => {
    const m = AccessMatrix.fromManifests(SHOP);
    expect(m.edges().map((e) => `${e.from}->${e.to}:${e.port}/${e.protocol}`)).toEqual(['shop/api->shop/db:5432/tcp', 'shop/web->shop/api:8080/http']);
    const web = m.edges()[1];
    expect(web).toMatchObject({
      allowed: true,
      decision: AccessDecision.ALLOWED,
      allowedBy: ['AuthorizationPolicy/shop/api rules[0]'],
      conditions: ['GET /api/*'],
      networkIngress: [],
      networkEgress: [],
      mtlsMode: 'PERMISSIVE',
      mtlsPolicy: '',
      plaintextAccepted: true,
      example: { protocol: 'http', method: 'GET', path: '/api/x', host: 'api.shop.svc.cluster.local', principal: principal('web') },
    });
    expect(web.layers.map((l) => [l.layer, l.allowed])).toEqual([['network', true], ['network', true], ['mtls', true], ['authorization', true]]);
    // Returned arrays are copies.
    m.edges().pop();
    expect(m.edges()).toHaveLength(2);
  });

  test('check: the allowing rule; a denial names the policy; Service ports map to container ports', () => {
    const m = AccessMatrix.fromManifests(SHOP);
    expect(m.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/api/items' })).toMatchObject({
      allowed: true, decidedBy: 'AuthorizationPolicy/shop/api', layer: AccessLayer.AUTHORIZATION, from: 'shop/web', to: 'shop/api', port: 8080,
    });
    // Not granted for DELETE: the allow-nothing policy makes that a denial; the reason says which rule does not match and why.
    const del = m.check({ from: 'web', to: 'api', port: 8080, method: 'DELETE', path: '/api/items' });
    expect(del).toMatchObject({
      allowed: false, decision: AccessDecision.DENIED, decidedBy: 'AuthorizationPolicy/shop/allow-nothing', reason: expect.stringContaining('method DELETE is not one of [GET]'),
    });
    expect(del.missingGrants).toEqual([
      'an ALLOW rule in an AuthorizationPolicy selecting shop/api (namespace shop) with from.source.principals [cluster.local/ns/shop/sa/web] '
      + 'and to.operation.ports [8080], to.operation.methods [DELETE], to.operation.paths [/api/items]',
    ]);
    const viaService = m.check({ from: 'web', to: 'api', port: 80 });
    expect(viaService).toMatchObject({ allowed: true, port: 8080, reason: expect.stringContaining('Service port shop/api:80 targets container port 8080') });
    // Without method/path the answer is existential and says what is allowed.
    expect(m.check({ from: 'web', to: 'api', port: 8080 }).conditions).toEqual(['GET /api/*']);
    expect(m.check({ from: 'db', to: 'web', port: 8080 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/allow-nothing' });
  });

  test('TCP ports: HTTP-only rules never allow, and HTTP attributes of a question do not apply', () => {
    const m = AccessMatrix.fromManifests([...SHOP,
      ap('db-http', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { methods: ['GET'] } }] }] })]);
    expect(m.check({ from: 'web', to: 'db', port: 5432 })).toMatchObject({ allowed: false, reason: expect.stringContaining('HTTP-only fields (methods)') });
    expect(m.check({ from: 'api', to: 'db', port: 5432, method: 'GET' })).toMatchObject({ allowed: true, example: { protocol: 'tcp' } });
  });

  test('check errors: unknown, ambiguous or missing workloads, bad ports', () => {
    const m = AccessMatrix.fromManifests([...SHOP, { ...deploy('web'), metadata: { name: 'web', namespace: 'other' } }]);
    expect(() => m.check({ from: 'nope', to: 'shop/api', port: 1 })).toThrow(/from "nope" is not a workload of the input \(known: other\/web, shop\/api, shop\/db, shop\/web\)/);
    expect(() => m.check({ from: 'web', to: 'shop/api', port: 1 })).toThrow(/ambiguous \(other\/web, shop\/web\)/);
    expect(() => m.check({ from: '', to: 'shop/api', port: 1 })).toThrow(/must name a workload/);
    expect(() => m.check({ from: 'shop/web', to: 'shop/api', port: 0 })).toThrow(/port must be an integer/);
    expect(() => AccessMatrix.fromManifests('x' as any)).toThrow(/must be an array/);
  });

  test('objects that are not Kubernetes objects are skipped', () => {
    const m = AccessMatrix.fromManifests([null, 1, 'x', [], { kind: 'Deployment' }, { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: {} }, ...SHOP]);
    expect(m.edges()).toEqual(AccessMatrix.fromManifests(SHOP).edges());
  });

  test('JWT: a validated issuer sets the request principal; an issuer no RequestAuthentication names is not decided offline', () => {
    const objects = [NS, deploy('gw'), deploy('app'),
      { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'app', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'app' } }, jwtRules: [{ issuer: 'https://sts' }] } },
      ap('app', { selector: { matchLabels: { app: 'app' } }, rules: [{ from: [{ source: { requestPrincipals: ['https://sts/*'] } }] }] }),
      ap('open', { selector: { matchLabels: { app: 'gw' } }, rules: [{ from: [{ source: { notRequestPrincipals: ['https://bad/*'] } }] }] })];
    const m = AccessMatrix.fromManifests(objects);
    expect(m.check({ from: 'gw', to: 'app', port: 8080 })).toMatchObject({ allowed: true, example: { requestPrincipal: 'https://sts/subject' }, conditions: ['JWT https://sts/*'] });
    expect(m.check({ from: 'gw', to: 'app', port: 8080, jwtIssuer: 'https://sts', jwtSubject: 'alice' })).toMatchObject({ allowed: true, example: { requestPrincipal: 'https://sts/alice' } });
    // A token of another issuer: without a principal the ALLOW rule cannot match, so it is denied either way.
    expect(m.check({ from: 'gw', to: 'app', port: 8080, jwtIssuer: 'https://other' }).allowed).toBe(false);
    // On gw (no RequestAuthentication) a token is not validated: no request principal, notRequestPrincipals matches.
    expect(m.check({ from: 'app', to: 'gw', port: 8080, jwtIssuer: 'https://bad' })).toMatchObject({ allowed: true, example: {} });
    expect(m.check({ from: 'app', to: 'gw', port: 8080, jwtIssuer: 'https://bad' }).example.requestPrincipal).toBeUndefined();
    // With an issuer the workload does not name and a rule that would allow without a principal: unknown.
    const m2 = AccessMatrix.fromManifests([...objects.slice(0, 4), ap('app', { selector: { matchLabels: { app: 'app' } }, rules: [{}] })]);
    expect(m2.check({ from: 'gw', to: 'app', port: 8080, jwtIssuer: 'https://other' })).toMatchObject({
      allowed: false, decision: AccessDecision.UNKNOWN, missingGrants: [], decidedBy: 'RequestAuthentication/shop/app', reason: expect.stringContaining('Istio rejects or ignores such a token'),
    });
  });

  test('CUSTOM policies and unknown conditions make edges unknown, never allowed or dropped', () => {
    const m = AccessMatrix.fromManifests([NS, deploy('web'), deploy('api'),
      ap('ext', { selector: { matchLabels: { app: 'api' } }, action: 'CUSTOM', provider: { name: 'opa' }, rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }),
      ap('hdr', { selector: { matchLabels: { app: 'web' } }, rules: [{ when: [{ key: 'request.headers[x-team]', values: ['a'] }] }] })]);
    const edges = m.edges();
    // `allowed` is true only for ALLOWED: an edge that may be allowed has false, and says UNKNOWN.
    expect(edges.map((e) => [e.from, e.to, e.allowed, e.decision])).toEqual([
      ['shop/api', 'shop/web', false, AccessDecision.UNKNOWN], ['shop/web', 'shop/api', true, AccessDecision.ALLOWED],
    ]);
    // The API edge is allowed for some requests (not /admin); /admin is an external decision.
    expect(m.check({ from: 'web', to: 'api', port: 8080, path: '/admin/x' })).toMatchObject({ allowed: false, decision: AccessDecision.UNKNOWN, decidedBy: 'AuthorizationPolicy/shop/ext', reason: expect.stringContaining('external authorizer "opa"') });
    expect(m.toMermaid()).toContain('shop__api -.->|"8080 ?"| shop__web');
    expect(m.toTable({ maxWidth: 0 })).toContain('8080/auto (unknown)');
    expect(m.toTable()).toContain('(1 unknown: they depend on something the manifests do not say)');
  });

  test('NetworkPolicy unknowns (namespace labels not in the input) are unknown edges', () => {
    const m = AccessMatrix.fromManifests([NS, deploy('api'), { ...deploy('client'), metadata: { name: 'client', namespace: 'other' } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'api', namespace: 'shop' }, spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] } }]);
    const r = m.check({ from: 'other/client', to: 'shop/api', port: 8080 });
    expect(r).toMatchObject({ allowed: false, decision: AccessDecision.UNKNOWN, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/api' });
    expect(m.warnings()).toContain('other/client: sidecar assumed: namespace other is not in the input');
  });

  test('workloads without a known port are reported where a grant could admit a caller; toJson carries everything; output is deterministic', () => {
    const cron = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cron', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'cron' } }, spec: { containers: [{ name: 'c' }] } } } };
    const grant = ap('cron', { selector: { matchLabels: { app: 'cron' } }, rules: [{ from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { methods: ['GET'] } }] }] });
    const note = 'shop/cron: no port is known (no container port, Service or policy names one), so nothing can call it in the matrix';
    // Only allow-nothing applies: it only calls, and whatever port it listens on, nothing is admitted.
    expect(AccessMatrix.fromManifests([...SHOP, cron]).warnings()).not.toContain(note);
    const objects = [...SHOP, cron, grant];
    const m = AccessMatrix.fromManifests(objects, { trustDomain: 'example.org', rootNamespace: 'mesh-root' });
    expect(m.warnings()).toContain(note);
    const json = m.toJson();
    expect(Object.keys(json)).toEqual(['trustDomain', 'trustDomainAliases', 'rootNamespace', 'workloads', 'edges', 'warnings']);
    expect(json.workloads.find((w: any) => w.id === 'shop/web')).toEqual({
      id: 'shop/web',
      name: 'web',
      namespace: 'shop',
      kind: 'Deployment',
      serviceAccount: 'web',
      principal: 'example.org/ns/shop/sa/web',
      labels: { app: 'web' },
      ports: [8080],
      sidecar: true,
      dataPlane: 'sidecar',
      origin: 'manifest',
    });
    // Principals in policies use cluster.local, which Istio reads as the local trust domain (example.org here).
    expect(json.edges.map((e: any) => `${e.from}->${e.to}:${e.port}`)).toEqual(['shop/api->shop/db:5432', 'shop/web->shop/api:8080']);
    expect(json.edges[1].example.principal).toBe('example.org/ns/shop/sa/web');
    const again = AccessMatrix.fromManifests([...objects].reverse(), { trustDomain: 'example.org', rootNamespace: 'mesh-root' });
    expect(JSON.stringify(again.toJson())).toBe(JSON.stringify(json));
    expect(again.toTable()).toBe(m.toTable());
    expect(AccessMatrix.fromManifests([NS, deploy('web')]).toTable()).toContain('No workload can call another.');
    expect(() => m.toTable({ maxWidth: -1 })).toThrow(/maxWidth must be a whole number/);
  });
});

function np(name: string, spec: any, namespace = 'shop'): any {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/** SHOP at L3/L4 too: a default deny, DNS egress for every pod, and exactly web -> api:8080 and api -> db:5432. */
const SHOP_NETWORK = [
  np('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
  np('allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP' }] }] }),
  np('web-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 8080 }] }] }),
  np('api-ingress', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }] }),
  np('api-egress', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }] }),
  np('db-ingress', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }] }),
];

describe('default deny: a refusal names the missing grant', () => {
  const m = AccessMatrix.fromManifests([...SHOP, ...SHOP_NETWORK]);

  test('the granted calls are the edges', () => {
    expect(m.edges().map((e) => `${e.from}->${e.to}:${e.port}`)).toEqual(['shop/api->shop/db:5432', 'shop/web->shop/api:8080']);
  });

  test('nothing grants web -> db at any layer: the headline is the missing ALLOW rule, and says all three layers refuse by default', () => {
    const r = m.check({ from: 'shop/web', to: 'shop/db', port: 5432 });
    expect(r).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.AUTHORIZATION, decidedBy: 'AuthorizationPolicy/shop/allow-nothing' });
    expect(r.reason).toMatch(/^nothing grants shop\/web -> shop\/db:5432, and 3 layers refuse it by default\. authorization: no ALLOW rule of shop\/db admits principal cluster\.local\/ns\/shop\/sa\/web on port 5432/);
    expect(r.reason).toContain('AuthorizationPolicy/shop/allow-nothing allows nothing, so what no ALLOW rule admits is denied');
    expect(r.reason).toContain("caller egress: no Egress rule of shop/web's NetworkPolicies admits shop/db:5432 (NetworkPolicy/shop/default-deny isolates shop/web)");
    expect(r.reason).toContain("target ingress: no Ingress rule of shop/db's NetworkPolicies admits shop/web on port 5432 (NetworkPolicy/shop/default-deny isolates shop/db)");
    // Neither the DNS egress policy nor another service's allow policy is named as the decider.
    expect(r.decidedBy).not.toMatch(/allow-dns|web-egress|db-ingress|AuthorizationPolicy\/shop\/(db|api)$/);
    expect(r.missingGrants).toEqual([
      'an Egress rule in a NetworkPolicy selecting shop/web (namespace shop) that admits the pods of shop/db on TCP port 5432',
      'an Ingress rule in a NetworkPolicy selecting shop/db (namespace shop) that admits the pods of shop/web on TCP port 5432',
      'an ALLOW rule in an AuthorizationPolicy selecting shop/db (namespace shop) with from.source.principals [cluster.local/ns/shop/sa/web] and to.operation.ports [5432]',
    ]);
    // The layers keep traffic order, each naming what makes it refuse.
    expect(r.layers.map((l) => [l.layer, l.decision, l.decidedBy])).toEqual([
      ['network', 'denied', 'NetworkPolicy/shop/default-deny'],
      ['network', 'denied', 'NetworkPolicy/shop/default-deny'],
      ['mtls', 'allowed', ''],
      ['authorization', 'denied', 'AuthorizationPolicy/shop/allow-nothing'],
    ]);
  });

  test('a caller with no grants at all: the DNS egress policy selecting it is not what refuses it', () => {
    const r = m.check({ from: 'shop/db', to: 'shop/web', port: 8080 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, decidedBy: 'AuthorizationPolicy/shop/allow-nothing', layer: AccessLayer.AUTHORIZATION });
    expect(r.layers[0]).toMatchObject({ decidedBy: 'NetworkPolicy/shop/default-deny', reason: expect.stringContaining('NetworkPolicy/shop/allow-dns admits other traffic only') });
    expect(r.missingGrants).toHaveLength(3);
  });

  test('authorization admits it, the NetworkPolicies do not: the headline is the missing NetworkPolicy rule(s)', () => {
    const open = AccessMatrix.fromManifests([...SHOP.filter((o) => o.metadata.name !== 'allow-nothing'), ...SHOP_NETWORK]);
    // web has no ALLOW policy (none selects it), so only L3/L4 refuse api -> web.
    const r = open.check({ from: 'shop/api', to: 'shop/web', port: 8080 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/default-deny' });
    expect(r.reason).toMatch(/^nothing grants shop\/api -> shop\/web:8080, and 2 layers refuse it by default\. caller egress: .*\. target ingress: /);
    expect(r.missingGrants.map((g) => g.split(' in a ')[0])).toEqual(['an Egress rule', 'an Ingress rule']);
    // One side only.
    const oneSide = AccessMatrix.fromManifests([...SHOP, ...SHOP_NETWORK.filter((o) => o.metadata.name !== 'api-egress')]).check({ from: 'shop/api', to: 'shop/db', port: 5432 });
    expect(oneSide).toMatchObject({ layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/default-deny', reason: expect.stringMatching(/^nothing grants shop\/api -> shop\/db:5432 at caller egress: /) });
    expect(oneSide.missingGrants).toHaveLength(1);
  });

  test('with no allow-nothing policy, the most specific ALLOW policy is named, never an unrelated one', () => {
    const noNothing = AccessMatrix.fromManifests([...SHOP.filter((o) => o.metadata.name !== 'allow-nothing'),
      ap('metrics', { rules: [{ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['15020'] } }] }] })]);
    // db: its own policy (for api) and the namespace-wide metrics policy apply; web matches neither.
    expect(noNothing.check({ from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({
      decidedBy: 'AuthorizationPolicy/shop/db', reason: expect.stringContaining('AuthorizationPolicy/shop/db is the most specific of the ALLOW policies applying to it'),
    });
    // web: only the metrics policy applies, so it is the one that makes the refusal.
    expect(noNothing.check({ from: 'shop/db', to: 'shop/web', port: 8080 }).decidedBy).toBe('AuthorizationPolicy/shop/metrics');
  });

  test('a layer that refuses outright keeps the traffic order and asks for no grant: a DENY rule, STRICT mTLS refusing plaintext', () => {
    const deny = AccessMatrix.fromManifests([...SHOP, ...SHOP_NETWORK, ap('no-web', { action: 'DENY', rules: [{ from: [{ source: { principals: [principal('web')] } }] }] })]);
    expect(deny.check({ from: 'shop/web', to: 'shop/db', port: 5432 })).toMatchObject({
      decision: AccessDecision.DENIED, decidedBy: 'AuthorizationPolicy/shop/no-web', reason: 'DENY rule rules[0] of AuthorizationPolicy/shop/no-web matches', missingGrants: [],
    });
    const plain = { ...deploy('batch'), spec: { template: { metadata: { labels: { 'app': 'batch', 'sidecar.istio.io/inject': 'false' } }, spec: deploy('batch').spec.template.spec } } };
    const strict = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec: { mtls: { mode: 'STRICT' } } };
    const r = AccessMatrix.fromManifests([...SHOP, ...SHOP_NETWORK, plain, strict]).check({ from: 'shop/batch', to: 'shop/api', port: 8080 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, layer: AccessLayer.MTLS, decidedBy: 'PeerAuthentication/shop/default', missingGrants: [] });
    expect(r.layers[0].decision).toBe(AccessDecision.DENIED);
  });

  test('a plaintext caller that nothing grants: the grant starts with a sidecar', () => {
    const plain = { ...deploy('batch'), spec: { template: { metadata: { labels: { 'app': 'batch', 'sidecar.istio.io/inject': 'false' } }, spec: deploy('batch').spec.template.spec } } };
    const r = AccessMatrix.fromManifests([...SHOP, plain]).check({ from: 'shop/batch', to: 'shop/db', port: 5432 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, decidedBy: 'AuthorizationPolicy/shop/allow-nothing', reason: expect.stringContaining('shop/batch sends plaintext (no peer identity)') });
    expect(r.missingGrants[0]).toMatch(/^a sidecar for shop\/batch on port 5432 \(so that it has an identity\), then an ALLOW rule/);
  });
});

describe('gRPC ports (appProtocol grpc, or a port named grpc / grpc-*)', () => {
  const objects = [
    NS, deploy('web'), deploy('cart', 9090), deploy('stock', 9091),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: 'shop' }, spec: { selector: { app: 'cart' }, ports: [{ name: 'api', appProtocol: 'grpc', port: 9090 }] } },
    svc('stock', 9091, 9091, 'grpc-stock'),
    ap('allow-nothing', {}),
    ap('cart', { selector: { matchLabels: { app: 'cart' } }, rules: [{ from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { paths: ['/shop.Cart/*'] } }] }] }),
    // GET never matches a gRPC call (every call is a POST).
    ap('stock', { selector: { matchLabels: { app: 'stock' } }, rules: [{ from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { methods: ['GET'] } }] }] }),
  ];
  const m = AccessMatrix.fromManifests(objects);

  test('edges, tables and JSON say grpc; the example is a POST', () => {
    expect(m.edges().map((e) => `${e.from}->${e.to}:${e.port}/${e.protocol}`)).toEqual(['shop/web->shop/cart:9090/grpc']);
    expect(m.edges()[0].example).toEqual({ protocol: 'grpc', method: 'POST', path: '/shop.Cart/x', host: 'cart.shop.svc.cluster.local', principal: principal('web') });
    expect(m.toTable()).toContain('9090/grpc');
    expect(m.toJson().edges[0]).toMatchObject({ protocol: 'grpc', example: { protocol: 'grpc', method: 'POST' } });
    expect(m.workloads().find((w) => w.id === 'shop/stock')!.ports).toEqual([9091]);
  });

  test('an ALLOW rule for GET does not admit gRPC calls', () => {
    const r = m.check({ from: 'shop/web', to: 'shop/stock', port: 9091 });
    expect(r).toMatchObject({ decision: AccessDecision.DENIED, example: { protocol: 'grpc', method: 'POST' }, reason: expect.stringContaining('method POST is not one of [GET]') });
    expect(m.check({ from: 'shop/web', to: 'shop/cart', port: 9090, path: '/shop.Cart/Add' })).toMatchObject({ decision: AccessDecision.ALLOWED, example: { method: 'POST', path: '/shop.Cart/Add' } });
  });
});

describe('trust domain: principals as Istio reads them, and a hint when they name another one', () => {
  const retail = (sa: string) => `retail.example.com/ns/shop/sa/${sa}`;
  const objects = [NS, deploy('web'), deploy('api'), ap('allow-nothing', {}),
    ap('api', { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: [retail('web')] } }] }] })];

  test('principals of another trust domain match nothing, and warnings() says which policy, which trust domain and where to set it', () => {
    const m = AccessMatrix.fromManifests(objects);
    expect(m.edges()).toEqual([]);
    const note = m.warnings().find((w) => w.includes('retail.example.com'));
    expect(note).toMatch(/^AuthorizationPolicy\/shop\/api names principals of trust domain retail\.example\.com, but the trust domain evaluated is cluster\.local/);
    expect(note).toContain('--trust-domain retail.example.com');
    expect(m._trustDomainWarnings()).toEqual([note]);
    // The denial says why in the rule's terms.
    expect(m.check({ from: 'shop/web', to: 'shop/api', port: 8080 }).reason).toContain('is not one of [retail.example.com/ns/shop/sa/web]');
  });

  test('with the trust domain set, or as an alias of the mesh\'s, the policy admits web', () => {
    const set = AccessMatrix.fromManifests(objects, { trustDomain: 'retail.example.com' });
    expect(set.edges().map((e) => `${e.from}->${e.to}`)).toEqual(['shop/web->shop/api']);
    expect(set.warnings()).toEqual([]);
    const aliased = AccessMatrix.fromManifests(objects, { trustDomain: 'new.example.com', trustDomainAliases: ['retail.example.com'] });
    expect(aliased.edges().map((e) => `${e.from}->${e.to}:${e.example.principal}`)).toEqual(['shop/web->shop/api:new.example.com/ns/shop/sa/web']);
    expect(aliased.toJson()).toMatchObject({ trustDomain: 'new.example.com', trustDomainAliases: ['retail.example.com'] });
    expect(aliased.warnings()).toEqual([]);
  });
});

describe('the settings come from secure-mesh.yaml (never from the manifests), options override it', () => {
  const retail = (sa: string) => `retail.example.com/ns/shop/sa/${sa}`;
  const objects = [NS, deploy('web'), deploy('api'), ap('allow-nothing', {}),
    ap('api', { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: [retail('web')] } }] }] })];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-matrix-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = (name: string, body: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\n${body}`);
    return file;
  };
  const edges = (m: AccessMatrix) => m.edges().map((e) => `${e.from}->${e.to}`);

  test('./secure-mesh.yaml in the working directory sets the trust domain (as in a blueprint repo\'s jest run)', () => {
    fs.copyFileSync(config('retail.yaml', 'trustDomain: retail.example.com\n'), path.join(dir, 'secure-mesh.yaml'));
    const before = process.cwd();
    process.chdir(dir);
    try {
      expect(edges(AccessMatrix.fromManifests(objects))).toEqual(['shop/web->shop/api']);
      // An explicit option wins over the file.
      expect(edges(AccessMatrix.fromManifests(objects, { trustDomain: 'cluster.local' }))).toEqual([]);
    } finally {
      process.chdir(before);
    }
  });

  test('a named config file; a missing or invalid one is an error, never the defaults', () => {
    expect(edges(AccessMatrix.fromManifests(objects, { config: config('named.yaml', 'trustDomain: retail.example.com\n') }))).toEqual(['shop/web->shop/api']);
    expect(() => AccessMatrix.fromManifests(objects, { config: path.join(dir, 'absent.yaml') })).toThrow(/absent\.yaml: no such config file/);
    expect(() => AccessMatrix.fromManifests(objects, { config: config('bad.yaml', 'trustdomain: x\n') })).toThrow(/unknown field "trustdomain"/);
  });

  test('a trust domain written into the manifests is not taken from them', () => {
    const forged = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'secure-mesh', namespace: 'istio-system' }, data: { 'secure-mesh.yaml': 'trustDomain: retail.example.com' } };
    expect(edges(AccessMatrix.fromManifests([...objects, forged]))).toEqual([]);
  });
});

describe('access reports', () => {
  const edge = (over: Partial<AccessEdge>): AccessEdge => ({
    from: 'a/x',
    to: 'a/y',
    port: 80,
    protocol: 'http',
    allowed: true,
    decision: AccessDecision.ALLOWED,
    allowedBy: [],
    conditions: [],
    networkIngress: [],
    networkEgress: [],
    mtlsMode: 'STRICT',
    mtlsPolicy: 'PeerAuthentication/a/default',
    plaintextAccepted: false,
    layers: [],
    example: { protocol: 'http' },
    ...over,
  });

  test('cell texts', () => {
    expect(allowedByText(edge({ allowedBy: ['AuthorizationPolicy/a/p rules[0]', 'AuthorizationPolicy/a/p rules[2]', 'AuthorizationPolicy/a/q rules[1]'] }))).toBe('a/p rules[0,2], a/q rules[1]');
    expect(allowedByText(edge({}))).toBe('no ALLOW policy applies');
    expect(allowedByText(edge({ mtlsMode: 'NONE' }))).toBe('not enforced (no sidecar)');
    expect(networkText(edge({ networkIngress: ['NetworkPolicy/a/in'] }))).toBe('in: a/in; out: not isolated');
    expect(mtlsText(edge({}))).toBe('STRICT (a/default)');
    expect(mtlsText(edge({ mtlsMode: 'PERMISSIVE', mtlsPolicy: '', plaintextAccepted: true }))).toBe('PERMISSIVE (Istio default), plaintext accepted');
    expect(mtlsText(edge({ mtlsMode: 'NONE' }))).toBe('none (plaintext accepted)');
  });

  test('markdown escapes pipes and puts requests in code spans; the table lists notes', () => {
    const md = renderMarkdown([edge({ conditions: ['GET /a|b'], allowed: false, decision: AccessDecision.UNKNOWN })], 'graph LR\n');
    expect(md).toContain('| a/x | a/y | 80/http (unknown) | no ALLOW policy applies | `GET /a\\|b` |');
    expect(md.endsWith('```mermaid\ngraph LR\n```\n')).toBe(true);
    expect(renderMarkdown([], 'graph LR\n')).toContain('| (none) | | | | | | |');
    expect(renderTable([edge({})], ['something assumed'])).toMatch(/1 edge\nnote: something assumed\n$/);
  });

  test('wrapText breaks at spaces, else inside words after / , - . =, else anywhere', () => {
    expect(wrapText('GET /api/v1/products/* /logout', 12)).toEqual(['GET /api/v1/', 'products/*', '/logout']);
    // A slash that starts a word is no place to break: the space before it is.
    expect(wrapText('GET /a /productpage', 16)).toEqual(['GET /a', '/productpage']);
    expect(wrapText('istio-system/istio-ingressgateway', 16)).toEqual(['istio-system/', 'istio-', 'ingressgateway']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('a\nb c', 10)).toEqual(['a', 'b c']);
    for (const line of wrapText('connection.sni=www.googleapis.com; JWT https://sts.mesh.example.com/*', 9)) expect(line.length).toBeLessThanOrEqual(9);
  });

  test('fitColumns narrows the widest columns first, keeps heading words whole, and uses the whole width', () => {
    const head = ['From', 'To', 'AuthorizationPolicy rules'];
    const rows = [['a/x', 'b/y', 'x'.repeat(100)]];
    // Natural widths fit: nothing changes.
    expect(fitColumns(head, [['a/x', 'b/y', 'short']], 120)).toEqual([4, 3, 25]);
    // 40 columns: 4 borders and 6 padding leave 30 for the content.
    expect(fitColumns(head, rows, 40)).toEqual([4, 3, 23]);
    // The longest heading word (AuthorizationPolicy) stays whole while it fits, then gives way too.
    expect(fitColumns(head, rows, 36)).toEqual([4, 3, 19]);
    expect(fitColumns(head, rows, 30)).toEqual([4, 3, 13]);
  });

  test('renderTable with a width: no line longer, notes wrapped and indented', () => {
    const long = edge({ from: 'istio-system/istio-ingressgateway', to: 'bookinfo/productpage', conditions: ['GET /api/v1/products/* /logout /productpage /static/*; JWT https://sts.mesh.example.com/*'] });
    const text = renderTable([long], ['x '.repeat(100).trim()], 60);
    for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    expect(text).toMatch(/\nnote: x x/);
    expect(text).toMatch(/\n {6}x x/);
    const wide = renderTable([long], [], 0);
    expect(wide).toContain('GET /api/v1/products/* /logout /productpage /static/*; JWT https://sts.mesh.example.com/*');
  });
});

describe('AccessMatrix: request paths are normalized as the proxy does before authorization', () => {
  const policies = [
    NS, deploy('web'), deploy('api'), svc('api', 80, 8080),
    ap('api', { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { paths: ['/public/*'] } }] }] }),
  ];

  test('BASE (Istio\'s default): dot segments and encoded dots are resolved, so /public/../private is judged as /private', () => {
    const m = AccessMatrix.fromManifests(policies);
    const climb = m.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/public/%2E%2E/private' });
    expect(climb.allowed).toBe(false);
    expect(climb.reason).toContain('path /public/%2E%2E/private is /private after Istio\'s BASE path normalization');
    expect(m.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/public/./a/../b' }).allowed).toBe(true);
    expect(m.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/public/%61' }).allowed).toBe(true);
  });

  test('the level is an option: NONE matches the raw path, DECODE_AND_MERGE_SLASHES also decodes %2F', () => {
    const none = AccessMatrix.fromManifests(policies, { pathNormalization: PathNormalization.NONE });
    expect(none.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/public/../private' }).allowed).toBe(true);
    const strict = AccessMatrix.fromManifests(policies, { pathNormalization: PathNormalization.DECODE_AND_MERGE_SLASHES });
    expect(strict.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/public/..%2Fprivate' }).allowed).toBe(false);
    const base = AccessMatrix.fromManifests(policies);
    expect(base.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/public/..%2Fprivate' }).allowed).toBe(true);
  });

  test('a path the proxy refuses is an error, and so is an unknown level', () => {
    const m = AccessMatrix.fromManifests(policies);
    expect(() => m.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: 'public' })).toThrow(/check: the proxy refuses path "public" before authorization/);
    expect(() => AccessMatrix.fromManifests(policies, { pathNormalization: 'SOME' as any })).toThrow(/pathNormalization must be one of NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES/);
  });
});

describe('AccessMatrix: token states (TokenState)', () => {
  const ra = {
    apiVersion: 'security.istio.io/v1',
    kind: 'RequestAuthentication',
    metadata: { name: 'api-jwt', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'api' } }, jwtRules: [{ issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks' }] },
  };
  const requireJwt = ap('api', {
    selector: { matchLabels: { app: 'api' } },
    rules: [
      { from: [{ source: { principals: [principal('web')], requestPrincipals: ['https://id.example.com/*'] } }] },
      { from: [{ source: { principals: [principal('web')] } }], to: [{ operation: { paths: ['/healthz'] } }] },
    ],
  });
  const objects = [NS, deploy('web'), deploy('api'), svc('api', 80, 8080), requireJwt, ra];
  const ask = (extra: object) => AccessMatrix.fromManifests(objects).check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/x', ...extra });

  test('no token: refused where a request principal is required, admitted where none is; with a valid token, admitted', () => {
    expect(ask({ token: TokenState.NONE })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/shop/api' });
    expect(ask({ token: TokenState.NONE, path: '/healthz' }).allowed).toBe(true);
    expect(ask({ jwtIssuer: 'https://id.example.com' }).allowed).toBe(true);
    // Without a token state the question is "with or without a token, whichever is allowed".
    expect(ask({}).allowed).toBe(true);
  });

  test('an invalid token: the RequestAuthentication answers 401 before authorization, even on a path open without a token', () => {
    const r = ask({ token: TokenState.INVALID, path: '/healthz' });
    expect(r).toMatchObject({ allowed: false, decidedBy: 'RequestAuthentication/shop/api-jwt' });
    expect(r.reason).toContain('rejects a token that fails validation (401)');
    // Where no RequestAuthentication applies, the token is only a header: as no token.
    const bare = AccessMatrix.fromManifests(objects.filter((o) => o !== ra));
    expect(bare.check({ from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/healthz', token: TokenState.INVALID }).allowed).toBe(true);
  });

  test('guards: a token state with a valid token\'s issuer, or an unknown state', () => {
    expect(() => ask({ token: TokenState.NONE, jwtIssuer: 'https://id.example.com' })).toThrow(/check: token and jwtIssuer exclude each other/);
    expect(() => ask({ token: 'expired' })).toThrow(/check: token must be one of none, invalid, got "expired"/);
  });
});
