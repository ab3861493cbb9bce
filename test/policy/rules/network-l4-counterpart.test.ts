import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_DENY_001 } from '../../../src/policy/rules/network-default-deny';
import { NET_L4_001 as RULE } from '../../../src/policy/rules/network-l4-counterpart';

const NS_LABEL = 'kubernetes.io/metadata.name';
const principal = (ns: string, sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;

function authz(name: string, spec: object, namespace = 'bookinfo'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}
/** reviews: frontend/web and bookinfo/productpage may call 9080; frontend/web may call 9443. */
const REVIEWS = authz('reviews', {
  selector: { matchLabels: { app: 'reviews' } },
  action: 'ALLOW',
  rules: [
    { from: [{ source: { principals: [principal('frontend', 'web'), principal('bookinfo', 'productpage')] } }], to: [{ operation: { ports: ['9080'], methods: ['GET'] } }] },
    { from: [{ source: { principals: [principal('frontend', 'web')] } }], to: [{ operation: { ports: ['9443'] } }] },
  ],
});
function netpol(name: string, spec: object, namespace = 'bookinfo'): RuleObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}
const fromNs = (ns: string) => ({ namespaceSelector: { matchLabels: { [NS_LABEL]: ns } } });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const COUNTERPART = netpol('reviews-ingress', {
  podSelector: { matchLabels: { app: 'reviews' } },
  policyTypes: ['Ingress'],
  ingress: [
    { from: [fromNs('frontend'), { podSelector: { matchLabels: { app: 'productpage' } } }], ports: tcp(9080) },
    { from: [fromNs('frontend')], ports: tcp(9443) },
  ],
});

function run(...objects: RuleObject[]) {
  return RULE.checkAll!(ruleContext(objects)).map((r) => ({ object: r.object?.metadata?.name, path: r.violation.path, port: r.violation.port }));
}

describe('NET-L4-001', () => {
  test('metadata; only checkAll (the rule compares objects)', () => {
    expect(RULE.id).toBe('NET-L4-001');
    expect(RULE.practices).toEqual(['AUTHZ-4']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.check(REVIEWS, ruleContext([REVIEWS]))).toEqual([]);
  });

  test('every edge has its counterpart', () => {
    expect(run(REVIEWS, COUNTERPART)).toEqual([]);
  });

  test('no NetworkPolicy at all: one violation per (caller namespace, port)', () => {
    const out = RULE.checkAll!(ruleContext([REVIEWS]));
    expect(out.map((r) => [r.object?.metadata?.name, r.violation.path, r.violation.port])).toEqual([
      ['reviews', 'spec.rules[0].to[0].operation.ports[0]', 9080],
      ['reviews', 'spec.rules[0].to[0].operation.ports[0]', 9080],
      ['reviews', 'spec.rules[1].to[0].operation.ports[0]', 9443],
    ]);
    expect(out.map((r) => r.violation.message)).toEqual([
      'allows cluster.local/ns/frontend/sa/web (namespace "frontend") on port 9080, but no NetworkPolicy in "bookinfo" selecting app=reviews admits namespace "frontend" on TCP 9080',
      'allows cluster.local/ns/bookinfo/sa/productpage (namespace "bookinfo") on port 9080, but no NetworkPolicy in "bookinfo" selecting app=reviews admits namespace "bookinfo" on TCP 9080',
      'allows cluster.local/ns/frontend/sa/web (namespace "frontend") on port 9443, but no NetworkPolicy in "bookinfo" selecting app=reviews admits namespace "frontend" on TCP 9443',
    ]);
  });

  test('a mesh namespace with no ingress NetworkPolicy at all: NET-DENY-001\'s one finding, none here', () => {
    const bookinfo = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } } };
    expect(RULE.checkAll!(ruleContext([REVIEWS, bookinfo]))).toEqual([]);
    expect(NET_DENY_001.checkAll!(ruleContext([REVIEWS, bookinfo])).filter((r) => r.object === bookinfo)).toHaveLength(1);
    // Once something isolates the namespace, every edge needs its counterpart again.
    const egressOnly = netpol('deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    expect(RULE.checkAll!(ruleContext([REVIEWS, bookinfo, egressOnly]))).toEqual([]);
    const isolating = netpol('deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(RULE.checkAll!(ruleContext([REVIEWS, bookinfo, isolating]))).toHaveLength(3);
  });

  test('a missing port is reported alone', () => {
    const partial = netpol('p', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [fromNs('frontend'), fromNs('bookinfo')], ports: tcp(9080) }] });
    expect(run(REVIEWS, partial)).toEqual([{ object: 'reviews', path: 'spec.rules[1].to[0].operation.ports[0]', port: 9443 }]);
  });

  test('a missing caller namespace is reported alone', () => {
    const partial = netpol('p', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [fromNs('frontend')], ports: tcp(9080, 9443) }] });
    expect(run(REVIEWS, partial)).toEqual([{ object: 'reviews', path: 'spec.rules[0].to[0].operation.ports[0]', port: 9080 }]);
  });

  test('a podSelector-only peer admits only the policy\'s own namespace', () => {
    const samePods = netpol('p', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [{ podSelector: {} }], ports: tcp(9080, 9443) }] });
    expect(run(REVIEWS, samePods).map((v) => v.port)).toEqual([9080, 9443]);
  });

  test('the port and the peer must be in the same ingress rule', () => {
    const split = netpol('p', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [fromNs('frontend')], ports: tcp(1) }, { from: [fromNs('other')], ports: tcp(9443) }] });
    expect(run(REVIEWS, split).map((v) => v.port)).toEqual([9080, 9080, 9443]);
  });

  test('the NetworkPolicy must select all the pods: podSelector within the policy labels', () => {
    const narrower = netpol('p', { ...COUNTERPART.spec, podSelector: { matchLabels: { app: 'reviews', version: 'v2' } } });
    expect(run(REVIEWS, narrower)).toHaveLength(3);
    const wider = netpol('p', { ...COUNTERPART.spec, podSelector: {} });
    expect(run(REVIEWS, wider)).toEqual([]);
  });

  test('the NetworkPolicy must be in the policy namespace and restrict ingress', () => {
    expect(run(REVIEWS, netpol('p', COUNTERPART.spec, 'frontend'))).toHaveLength(3);
    expect(run(REVIEWS, netpol('p', { ...COUNTERPART.spec, policyTypes: ['Egress'] }))).toHaveLength(3);
    expect(run(REVIEWS, netpol('p', { ...COUNTERPART.spec, policyTypes: undefined }))).toEqual([]);
    expect(run(REVIEWS, { ...COUNTERPART, apiVersion: 'example.com/v1' })).toHaveLength(3);
  });

  test('port ranges, port-less rules and source-less rules admit', () => {
    expect(run(REVIEWS, netpol('p', { podSelector: {}, ingress: [{ from: [fromNs('frontend'), fromNs('bookinfo')], ports: [{ protocol: 'TCP', port: 9000, endPort: 9500 }] }] }))).toEqual([]);
    expect(run(REVIEWS, netpol('p', { podSelector: {}, ingress: [{ from: [fromNs('frontend'), fromNs('bookinfo')] }] }))).toEqual([]);
    expect(run(REVIEWS, netpol('p', { podSelector: {}, ingress: [{ ports: tcp(9080, 9443) }] }))).toEqual([]);
  });

  test('UDP, named ports and ipBlock peers do not count', () => {
    expect(run(REVIEWS, netpol('p', { podSelector: {}, ingress: [{ from: [fromNs('frontend'), fromNs('bookinfo')], ports: [{ protocol: 'UDP', port: 9080 }, { port: 'https' }] }] })))
      .toHaveLength(3);
    expect(run(REVIEWS, netpol('p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: tcp(9080, 9443) }] })))
      .toHaveLength(3);
  });

  test('a namespaceSelector on other labels counts when the Namespace object carries them', () => {
    const byTeam = netpol('p', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }, { podSelector: {} }], ports: tcp(9080, 9443) }] });
    expect(run(REVIEWS, byTeam).map((v) => v.port)).toEqual([9080, 9443]);
    const frontend: RuleObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'frontend', labels: { team: 'web' } } };
    expect(run(REVIEWS, byTeam, frontend)).toEqual([]);
  });

  test('policies the rule does not apply to', () => {
    const rules = REVIEWS.spec.rules;
    expect(run(authz('deny', { action: 'DENY', selector: { matchLabels: { app: 'reviews' } }, rules }))).toEqual([]);
    expect(run(authz('ns-wide', { rules }))).toEqual([]);
    expect(run(authz('no-ports', { selector: { matchLabels: { app: 'reviews' } }, rules: [{ from: [{ source: { principals: [principal('a', 'b')] } }], to: [{ operation: { methods: ['GET'] } }] }] }))).toEqual([]);
    expect(run(authz('namespaces-only', { selector: { matchLabels: { app: 'reviews' } }, rules: [{ from: [{ source: { namespaces: ['a'] } }], to: [{ operation: { ports: ['80'] } }] }] }))).toEqual([]);
    expect(run(authz('allow-nothing', {}))).toEqual([]);
  });

  test('one violation per (caller namespace, port), however many principals and rules repeat it', () => {
    const repeated = authz('r', {
      selector: { matchLabels: { app: 'x' } },
      rules: [
        { from: [{ source: { principals: [principal('a', 's1'), principal('a', 's2')] } }], to: [{ operation: { ports: ['80', '80'] } }] },
        { from: [{ source: { principals: [principal('a', 's3')] } }], to: [{ operation: { ports: ['80'] } }] },
      ],
    });
    expect(run(repeated)).toEqual([{ object: 'r', path: 'spec.rules[0].to[0].operation.ports[0]', port: 80 }]);
  });

  test('odd shapes do not throw', () => {
    expect(run(
      authz('odd', { selector: { matchLabels: 'x' }, rules: [{ from: [{ source: { principals: [7] } }], to: [{ operation: { ports: [null, '80'] } }] }] }),
      netpol('odd', { podSelector: 'x', ingress: 'x' }),
      netpol('odd2', { ingress: [null, { from: 'x', ports: 'x' }] }),
      { kind: 'AuthorizationPolicy' },
    )).toEqual([]);
  });
});
