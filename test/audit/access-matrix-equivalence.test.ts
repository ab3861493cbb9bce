import * as fc from 'fast-check';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { effectiveMtls, indexPeerAuthentications, parsePeerAuthentications, peerAuthnLevels } from '../../src/audit/access-mtls';
import { AccessDecision } from '../../src/audit/access-types';
import { indexPolicies, parseAuthorizationPolicies, parseRequestAuthentications, policiesFor } from '../../src/audit/authz-evaluator';
import { NetPolicyIndex, evaluateEgress, evaluateIngress, parseNetworkPolicies } from '../../src/audit/network-evaluator';
import { discoverWorkloads } from '../../src/audit/workloads';

/**
 * The matrix narrows the callers it evaluates per target (from what the ALLOW policies can admit)
 * and looks policies up through indexes; on random small inputs its edges must equal the
 * straightforward evaluation of every caller x target x port, and agree with check().
 */

const NAMESPACES = ['a', 'b', 'istio-system'];
const APPS = ['x', 'y', 'z', 'w'];
const SAS = ['x', 'y', 'sa1'];
const PORTS = [8080, 9090];

const ns = fc.constantFrom(...NAMESPACES);
const app = fc.constantFrom(...APPS);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const strip = (o: any): any => JSON.parse(JSON.stringify(o));

const principalValue = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(ns, fc.constantFrom(...SAS)).map(([n, s]) => `cluster.local/ns/${n}/sa/${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'cluster.local/ns/a/*', '*/sa/x', 'cluster.local/*', 'other/ns/a/sa/x') },
);
const namespaceValue = fc.constantFrom('a', 'b', 'istio-system', 'a*', '*', 'c');
const saValue = fc.constantFrom('x', 'y', 'a/x', 'b/sa1', 'c/x');

const anySource = fc.record({
  principals: maybe(fc.array(principalValue, { maxLength: 2 })),
  notPrincipals: maybe(fc.array(principalValue, { maxLength: 1 })),
  namespaces: maybe(fc.array(namespaceValue, { maxLength: 2 })),
  notNamespaces: maybe(fc.array(namespaceValue, { maxLength: 1 })),
  serviceAccounts: maybe(fc.array(saValue, { maxLength: 2 })),
  requestPrincipals: maybe(fc.constantFrom(['https://sts/*'], ['*'])),
  ipBlocks: maybe(fc.constantFrom(['10.0.0.0/8'], ['0.0.0.0/0'])),
});

// Mostly sources that name callers (what lets the matrix narrow the callers), sometimes anything.
const source = fc.oneof(
  { weight: 6, arbitrary: fc.record({ principals: fc.array(principalValue, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ namespaces: fc.array(namespaceValue, { minLength: 1, maxLength: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ serviceAccounts: fc.array(saValue, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: anySource },
);

const operation = fc.record({
  ports: maybe(fc.array(fc.constantFrom('8080', '9090', 'http'), { maxLength: 2 })),
  methods: maybe(fc.constantFrom(['GET'], ['POST', 'GET'])),
  notPaths: maybe(fc.constantFrom(['/admin*'], ['*'])),
});

const condition = fc.oneof(
  fc.record({ key: fc.constant('source.principal'), values: fc.array(principalValue, { minLength: 1, maxLength: 2 }) }),
  fc.record({ key: fc.constant('source.namespace'), values: fc.array(namespaceValue, { minLength: 1, maxLength: 1 }) }),
  fc.record({ key: fc.constant('request.headers[x]'), values: fc.constant(['1']) }),
  fc.record({ key: fc.constant('destination.port'), notValues: fc.constant(['9090']) }),
);

const fromEntry = fc.oneof({ weight: 30, arbitrary: source.map((s) => ({ source: s })) }, { weight: 1, arbitrary: fc.constant({}) });

const rule = fc.oneof(
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant('not a rule') },
  {
    weight: 24,
    arbitrary: fc.record({
      from: fc.oneof(
        { weight: 14, arbitrary: fc.array(fromEntry, { minLength: 1, maxLength: 2 }) },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant([]) },
      ),
      to: maybe(fc.array(operation.map((o) => ({ operation: o })), { maxLength: 2 })),
      when: maybe(fc.array(condition, { maxLength: 1 })),
    }),
  },
);

const selector = maybe(fc.oneof(
  app.map((a) => ({ matchLabels: { app: a } })),
  fc.tuple(app, fc.constantFrom('1', '2')).map(([a, v]) => ({ matchLabels: { app: a, tier: v } })),
  fc.constant({ matchLabels: {} }),
));

const authorizationPolicy = fc.record({
  namespace: ns,
  action: fc.constantFrom(undefined, 'ALLOW', 'ALLOW', 'ALLOW', 'DENY', 'CUSTOM', 'AUDIT'),
  selector,
  rules: fc.oneof({ weight: 16, arbitrary: fc.array(rule, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(undefined) }),
});

const peerAuthentication = fc.record({
  namespace: ns,
  selector,
  mtls: maybe(fc.constantFrom('STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET').map((mode) => ({ mode }))),
  portLevelMtls: maybe(fc.constantFrom({ 8080: { mode: 'DISABLE' } }, { 9090: { mode: 'STRICT' } })),
});

const podSelector = fc.oneof(
  fc.constant({}),
  app.map((a) => ({ matchLabels: { app: a } })),
  fc.constantFrom('1', '2').map((v) => ({ matchExpressions: [{ key: 'tier', operator: 'In', values: [v] }] })),
  fc.constant({ matchLabels: { app: 'x', tier: '1' } }),
);

const peer = fc.oneof(
  podSelector.map((p) => ({ podSelector: p })),
  fc.tuple(ns, maybe(podSelector)).map(([n, p]) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': n } }, podSelector: p })),
  fc.constant({ namespaceSelector: { matchLabels: { team: 'blue' } } }),
  fc.constant({ ipBlock: { cidr: '0.0.0.0/0' } }),
);

const netRule = fc.record({
  peers: maybe(fc.array(peer, { maxLength: 2 })),
  ports: maybe(fc.constantFrom([{ port: 8080 }], [{ port: 9090, protocol: 'TCP' }], [{ port: 'http' }], [{ port: 8000, endPort: 9000 }])),
});

const networkPolicy = fc.record({
  namespace: ns,
  podSelector,
  policyTypes: maybe(fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress'])),
  ingress: maybe(fc.array(netRule, { maxLength: 2 })),
  egress: maybe(fc.array(netRule, { maxLength: 2 })),
});

const workload = fc.record({
  namespace: ns,
  app,
  tier: maybe(fc.constantFrom('1', '2')),
  sa: fc.constantFrom(...SAS),
  ports: fc.subarray(PORTS),
  inject: fc.constantFrom(undefined, undefined, undefined, 'true', 'false'),
  excludeOutbound: fc.constantFrom(false, false, false, true),
  excludeInbound: fc.constantFrom(false, false, false, true),
});

const input = fc.record({
  workloads: fc.array(workload, { minLength: 1, maxLength: 7 }),
  authz: fc.array(authorizationPolicy, { maxLength: 6 }),
  peerAuthns: fc.array(peerAuthentication, { maxLength: 3 }),
  netPolicies: fc.array(networkPolicy, { maxLength: 3 }),
  requestAuthn: fc.boolean(),
  namespaceObject: fc.boolean(),
});

function manifests(i: any): any[] {
  const out: any[] = [];
  if (i.namespaceObject) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { 'istio-injection': 'enabled', 'team': 'blue' } } });
  i.workloads.forEach((w: any, n: number) => {
    const annotations: any = {};
    if (w.inject) annotations['sidecar.istio.io/inject'] = w.inject;
    if (w.excludeOutbound) annotations['traffic.sidecar.istio.io/excludeOutboundIPRanges'] = '10.0.0.0/8';
    if (w.excludeInbound) annotations['traffic.sidecar.istio.io/excludeInboundPorts'] = '9090';
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `d${n}`, namespace: w.namespace },
      spec: {
        template: {
          metadata: { labels: { app: w.app, ...(w.tier ? { tier: w.tier } : {}) }, annotations },
          spec: { serviceAccountName: w.sa, containers: [{ name: 'c', ports: w.ports.map((p: number) => ({ containerPort: p, name: p === 8080 ? 'http' : 'grpc' })) }] },
        },
      },
    });
  });
  i.authz.forEach((p: any, n: number) => out.push(strip({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: `ap${n}`, namespace: p.namespace },
    spec: { action: p.action, selector: p.selector, rules: p.rules, provider: p.action === 'CUSTOM' ? { name: 'opa' } : undefined },
  })));
  i.peerAuthns.forEach((p: any, n: number) => out.push(strip({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: `pa${n}`, namespace: p.namespace },
    spec: { selector: p.selector, mtls: p.mtls, portLevelMtls: p.portLevelMtls },
  })));
  i.netPolicies.forEach((p: any, n: number) => out.push(strip({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `np${n}`, namespace: p.namespace },
    spec: {
      podSelector: p.podSelector,
      policyTypes: p.policyTypes,
      ingress: p.ingress?.map((r: any) => ({ from: r.peers, ports: r.ports })),
      egress: p.egress?.map((r: any) => ({ to: r.peers, ports: r.ports })),
    },
  })));
  if (i.requestAuthn) {
    out.push({ apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'ra', namespace: 'a' }, spec: { jwtRules: [{ issuer: 'https://sts' }] } });
  }
  return out;
}

describe('AccessMatrix edges() equals the all-pairs evaluation', () => {
  test('random small inputs (fast-check)', () => {
    fc.assert(fc.property(input, (i) => {
      const objects = manifests(i);
      const m = AccessMatrix.fromManifests(objects, { inferGateways: false });
      const reference = AccessMatrix.fromManifests(objects, { inferGateways: false })._allPairsEdges();
      const edges = m.edges();
      expect(edges).toEqual(reference);
      // check() agrees on every pair (it evaluates without short-circuits, one pair at a time).
      const found = new Map(edges.map((e) => [`${e.from}>${e.to}:${e.port}`, e.decision]));
      for (const caller of m.workloads()) {
        for (const target of m.workloads()) {
          if (caller.id === target.id) continue;
          for (const port of target.ports) {
            const r = m.check({ from: caller.id, to: target.id, port });
            expect(r.decision === AccessDecision.DENIED ? undefined : r.decision).toEqual(found.get(`${caller.id}>${target.id}:${port}`));
            // `allowed` is exactly "ALLOWED"; a denial explains itself by a policy, or by what is missing.
            expect(r.allowed).toBe(r.decision === AccessDecision.ALLOWED);
            if (r.missingGrants.length > 0) expect([r.decision, r.reason.startsWith('nothing grants ')]).toEqual([AccessDecision.DENIED, true]);
          }
        }
      }
    }), { numRuns: 300, seed: 20261129 });
  });

  test('indexed policy lookups equal the scans over every policy (random small inputs)', () => {
    fc.assert(fc.property(input, fc.constantFrom('istio-system', 'a'), (i, root) => {
      const objects = manifests(i);
      const { workloads, namespaces } = discoverWorkloads(objects, { trustDomain: 'cluster.local', rootNamespace: root, declared: [], inferGateways: false });
      const authz = parseAuthorizationPolicies(objects).policies;
      const ras = parseRequestAuthentications(objects);
      const pas = parsePeerAuthentications(objects);
      const nps = parseNetworkPolicies(objects);
      const [authzIndex, raIndex] = [indexPolicies(authz), indexPolicies(ras)];
      const [paIndex, npIndex] = [indexPeerAuthentications(pas), new NetPolicyIndex(nps)];
      for (const w of workloads) {
        expect(policiesFor(authz, w, root, authzIndex)).toEqual(policiesFor(authz, w, root));
        expect(policiesFor(ras, w, root, raIndex)).toEqual(policiesFor(ras, w, root));
        expect(peerAuthnLevels(pas, w, root, paIndex)).toEqual(peerAuthnLevels(pas, w, root));
        for (const port of PORTS) expect(effectiveMtls(pas, w, port, root, paIndex)).toEqual(effectiveMtls(pas, w, port, root));
        for (const other of workloads) {
          for (const port of PORTS) {
            expect(evaluateIngress(nps, other, w, port, namespaces, npIndex)).toEqual(evaluateIngress(nps, other, w, port, namespaces));
            expect(evaluateEgress(nps, w, other, port, namespaces, npIndex)).toEqual(evaluateEgress(nps, w, other, port, namespaces));
          }
        }
      }
    }), { numRuns: 200, seed: 7 });
  });

  test('inputs where ALLOW policies name callers: some pairs are pruned, none is lost', () => {
    const principal = (n: string, sa: string) => `cluster.local/ns/${n}/sa/${sa}`;
    const objects = [
      ...['a', 'b'].flatMap((n) => ['x', 'y', 'z'].map((a) => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: a, namespace: n },
        spec: { template: { metadata: { labels: { app: a } }, spec: { serviceAccountName: a, containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] } } },
      }))),
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'none', namespace: 'istio-system' }, spec: {} },
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'x', namespace: 'a' },
        spec: { selector: { matchLabels: { app: 'x' } }, rules: [{ from: [{ source: { principals: [principal('b', 'y'), principal('a', 'z')] } }] }] },
      },
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'y', namespace: 'b' },
        spec: { selector: { matchLabels: { app: 'y' } }, rules: [{ from: [{ source: { namespaces: ['a'] } }, { source: { serviceAccounts: ['b/z'] } }] }] },
      },
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'z', namespace: 'b' },
        spec: { selector: { matchLabels: { app: 'z' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/*'] } }], to: [{ operation: { methods: ['GET'] } }] }] },
      },
    ];
    const m = AccessMatrix.fromManifests(objects);
    const edges = m.edges();
    expect(edges).toEqual(AccessMatrix.fromManifests(objects)._allPairsEdges());
    expect(edges.map((e) => `${e.from}->${e.to}`)).toEqual([
      'a/x->b/y', 'a/x->b/z', 'a/y->b/y', 'a/y->b/z', 'a/z->a/x', 'a/z->b/y', 'a/z->b/z', 'b/y->a/x', 'b/z->b/y',
    ]);
  });
});
