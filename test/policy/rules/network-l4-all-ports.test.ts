import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_L4_002 as RULE } from '../../../src/policy/rules/network-l4-all-ports';

function authz(name: string, spec: object, namespace = 'bookinfo'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}
function netpol(name: string, spec: object, namespace = 'bookinfo'): RuleObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}
const REVIEWS = authz('reviews', { selector: { matchLabels: { app: 'reviews' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }], to: [{ operation: { ports: ['9080'] } }] }] });
const fromA = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } } };

function run(...objects: RuleObject[]) {
  return RULE.checkAll!(ruleContext(objects)).map((r) => ({ object: r.object?.metadata?.name, path: r.violation.path }));
}

describe('NET-L4-002', () => {
  test('metadata: WARNING, checkAll only', () => {
    expect(RULE.id).toBe('NET-L4-002');
    expect(RULE.practices).toEqual(['AUTHZ-4', 'NETPOL-1']);
    expect(RULE.severity).toBe(RuleSeverity.WARNING);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.check(netpol('p', { podSelector: {}, ingress: [{}] }), ruleContext([]))).toEqual([]);
  });

  test('ingress rules with ports are fine', () => {
    expect(run(REVIEWS, netpol('p', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [fromA], ports: [{ protocol: 'TCP', port: 9080 }] }] }))).toEqual([]);
  });

  test('a port-less rule on pods an ALLOW policy selects', () => {
    const out = RULE.checkAll!(ruleContext([
      REVIEWS,
      netpol('p', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [fromA], ports: [{ port: 9080 }] }, { from: [fromA] }, { from: [fromA], ports: [] }] }),
    ]));
    expect(out.map((r) => [r.object?.metadata?.name, r.violation.path, r.violation.port])).toEqual([['p', 'spec.ingress[1]', undefined], ['p', 'spec.ingress[2]', undefined]]);
    expect(out[0].violation.message).toBe('ingress rule 1 lists no ports, so it admits every port to pods that AuthorizationPolicy/bookinfo/reviews governs (including ports the sidecar does not capture)');
  });

  test('NetworkPolicies that may select the same pods: wider, narrower or by expression', () => {
    expect(run(REVIEWS, netpol('all', { podSelector: {}, ingress: [{}] }))).toEqual([{ object: 'all', path: 'spec.ingress[0]' }]);
    expect(run(REVIEWS, netpol('v2', { podSelector: { matchLabels: { app: 'reviews', version: 'v2' } }, ingress: [{ from: [fromA] }] }))).toHaveLength(1);
    expect(run(REVIEWS, netpol('expr', { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['reviews', 'ratings'] }] }, ingress: [{ from: [fromA] }] }))).toHaveLength(1);
  });

  test('NetworkPolicies for other pods, namespaces or directions are not reported', () => {
    expect(run(REVIEWS, netpol('ratings', { podSelector: { matchLabels: { app: 'ratings' } }, ingress: [{}] }))).toEqual([]);
    expect(run(REVIEWS, netpol('elsewhere', { podSelector: {}, ingress: [{}] }, 'other'))).toEqual([]);
    expect(run(REVIEWS, netpol('egress', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }))).toEqual([]);
    expect(run(netpol('no-mesh-policy', { podSelector: {}, ingress: [{}] }))).toEqual([]);
  });

  test('ALLOW policies without selector (the namespace allow-nothing policy) govern every pod of the namespace', () => {
    expect(run(authz('allow-nothing', {}), netpol('p', { podSelector: { matchLabels: { app: 'x' } }, ingress: [{ from: [fromA] }] }))).toHaveLength(1);
  });

  test('DENY, CUSTOM and targetRefs policies do not make a pod mesh-authorized', () => {
    const np = netpol('p', { podSelector: {}, ingress: [{}] });
    expect(run(authz('deny', { action: 'DENY', rules: [{}] }), np)).toEqual([]);
    expect(run(authz('custom', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{}] }), np)).toEqual([]);
    expect(run(authz('gw', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] }), np)).toEqual([]);
  });

  test('a default-deny NetworkPolicy (no ingress rules) is fine', () => {
    expect(run(REVIEWS, netpol('deny', { podSelector: {}, policyTypes: ['Ingress'] }))).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    expect(run(REVIEWS, netpol('odd', { podSelector: 'x', ingress: [{}] }), netpol('odd2', { ingress: 'x' }), { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' })).toEqual([]);
  });
});
