import { AccessMatrix } from '../../src/audit/access-matrix';
import { allowedByText, mtlsText, networkText, renderMarkdown, renderTable } from '../../src/audit/access-report';
import { AccessDecision, AccessEdge, AccessLayer } from '../../src/audit/access-types';

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
    expect(m.check({ from: 'web', to: 'api', port: 8080, method: 'DELETE', path: '/api/items' })).toMatchObject({
      allowed: false, decidedBy: 'AuthorizationPolicy/shop/api', reason: expect.stringContaining('method DELETE is not one of [GET]'),
    });
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
      allowed: 'unknown', decision: AccessDecision.UNKNOWN, decidedBy: 'RequestAuthentication/shop/app', reason: expect.stringContaining('Istio rejects or ignores such a token'),
    });
  });

  test('CUSTOM policies and unknown conditions make edges unknown, never allowed or dropped', () => {
    const m = AccessMatrix.fromManifests([NS, deploy('web'), deploy('api'),
      ap('ext', { selector: { matchLabels: { app: 'api' } }, action: 'CUSTOM', provider: { name: 'opa' }, rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }),
      ap('hdr', { selector: { matchLabels: { app: 'web' } }, rules: [{ when: [{ key: 'request.headers[x-team]', values: ['a'] }] }] })]);
    const edges = m.edges();
    expect(edges.map((e) => [e.from, e.to, e.allowed])).toEqual([['shop/api', 'shop/web', 'unknown'], ['shop/web', 'shop/api', true]]);
    // The API edge is allowed for some requests (not /admin); /admin is an external decision.
    expect(m.check({ from: 'web', to: 'api', port: 8080, path: '/admin/x' })).toMatchObject({ allowed: 'unknown', decidedBy: 'AuthorizationPolicy/shop/ext', reason: expect.stringContaining('external authorizer "opa"') });
    expect(m.toMermaid()).toContain('shop__api -.->|"8080 ?"| shop__web');
    expect(m.toTable()).toContain('8080/auto (unknown)');
  });

  test('NetworkPolicy unknowns (namespace labels not in the input) are unknown edges', () => {
    const m = AccessMatrix.fromManifests([NS, deploy('api'), { ...deploy('client'), metadata: { name: 'client', namespace: 'other' } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'api', namespace: 'shop' }, spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] } }]);
    const r = m.check({ from: 'other/client', to: 'shop/api', port: 8080 });
    expect(r).toMatchObject({ allowed: 'unknown', layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/api' });
    expect(m.warnings()).toContain('other/client: sidecar assumed: namespace other is not in the input');
  });

  test('workloads without a known port are reported; toJson carries everything; output is deterministic', () => {
    const objects = [...SHOP, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cron', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'cron' } }, spec: { containers: [{ name: 'c' }] } } } }];
    const m = AccessMatrix.fromManifests(objects, { trustDomain: 'example.org', rootNamespace: 'mesh-root' });
    expect(m.warnings()).toContain('shop/cron: no port is known (no container port, Service or policy names one), so nothing can call it in the matrix');
    const json = m.toJson();
    expect(Object.keys(json)).toEqual(['trustDomain', 'rootNamespace', 'workloads', 'edges', 'warnings']);
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
      origin: 'manifest',
    });
    // Principals in policies use cluster.local, this mesh uses example.org: nothing matches.
    expect(json.edges).toEqual([]);
    const again = AccessMatrix.fromManifests([...objects].reverse(), { trustDomain: 'example.org', rootNamespace: 'mesh-root' });
    expect(JSON.stringify(again.toJson())).toBe(JSON.stringify(json));
    expect(again.toTable()).toBe(m.toTable());
    expect(m.toTable()).toContain('No workload can call another.');
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
    const md = renderMarkdown([edge({ conditions: ['GET /a|b'], allowed: 'unknown' })], 'graph LR\n');
    expect(md).toContain('| a/x | a/y | 80/http (unknown) | no ALLOW policy applies | `GET /a\\|b` |');
    expect(md.endsWith('```mermaid\ngraph LR\n```\n')).toBe(true);
    expect(renderMarkdown([], 'graph LR\n')).toContain('| (none) | | | | | | |');
    expect(renderTable([edge({})], ['something assumed'])).toMatch(/1 edge\nnote: something assumed\n$/);
  });
});
