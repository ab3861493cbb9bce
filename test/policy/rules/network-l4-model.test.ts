import * as fc from 'fast-check';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  admitsNamespace, admitsPort, allowPolicies, allowPoliciesIn, allowedEdges, ingressPolicies, ingressPoliciesSelectingAll, namespaceLabels,
  portNumber, principalNamespace, restrictsIngress, selectsAllPodsWith,
} from '../../../src/policy/rules/network-l4-model';

const ap = (spec: object, namespace = 'bookinfo') => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace }, spec });

describe('AuthorizationPolicy reading', () => {
  test('principalNamespace', () => {
    expect(principalNamespace('cluster.local/ns/frontend/sa/web')).toBe('frontend');
    expect(principalNamespace('cluster.local/ns/frontend/sa/*')).toBe('frontend');
    expect(principalNamespace('*/ns/frontend/sa/web')).toBe('frontend');
    expect(principalNamespace('cluster.local/ns/*/sa/web')).toBeUndefined();
    expect(principalNamespace('spiffe://cluster.local/ns/a/sa/b')).toBeUndefined();
    expect(principalNamespace('*')).toBeUndefined();
  });

  test('portNumber', () => {
    expect(portNumber('9080')).toBe(9080);
    expect(portNumber(443)).toBe(443);
    expect(portNumber('0')).toBeUndefined();
    expect(portNumber('70000')).toBeUndefined();
    expect(portNumber('http')).toBeUndefined();
    expect(portNumber('80-90')).toBeUndefined();
  });

  test('allowPolicies: ALLOW or no action, namespaced, not targetRefs', () => {
    const ctx = ruleContext([
      ap({ selector: { matchLabels: { app: 'a' } } }),
      ap({ action: 'ALLOW' }),
      ap({ action: 'DENY', selector: { matchLabels: { app: 'a' } } }),
      ap({ action: 'CUSTOM', provider: { name: 'x' } }),
      ap({ targetRefs: [{ kind: 'Gateway', name: 'g' }] }),
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'no-ns' }, spec: {} },
    ]);
    expect(allowPolicies(ctx).map((p) => p.matchLabels)).toEqual([{ app: 'a' }, undefined]);
  });

  test('allowPoliciesIn: the same policies, one namespace at a time, in object order', () => {
    const other = (spec: object) => ({ ...ap(spec), metadata: { name: 'o', namespace: 'other' } });
    const ctx = ruleContext([ap({ selector: { matchLabels: { app: 'a' } } }), other({}), ap({}), other({ action: 'DENY' })]);
    expect(allowPoliciesIn(ctx, 'other').map((p) => p.object)).toEqual([ctx.objects[1]]);
    expect(allowPoliciesIn(ctx, ctx.objects[0].metadata!.namespace!).map((p) => p.matchLabels)).toEqual([{ app: 'a' }, undefined]);
    expect(allowPoliciesIn(ctx, 'absent')).toEqual([]);
    expect([...allowPoliciesIn(ctx, 'other'), ...allowPoliciesIn(ctx, ctx.objects[0].metadata!.namespace!)]).toHaveLength(allowPolicies(ctx).length);
  });

  test('allowedEdges: principals × ports per rule, with paths', () => {
    const policy = ap({
      selector: { matchLabels: { app: 'reviews' } },
      rules: [
        { from: [{ source: { principals: ['cluster.local/ns/frontend/sa/web', 'cluster.local/ns/bookinfo/sa/productpage'] } }], to: [{ operation: { ports: ['9080', 'http'] } }] },
        { from: [{ source: { namespaces: ['x'] } }], to: [{ operation: { ports: ['1'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }], to: [{ operation: { methods: ['GET'] } }, { operation: { ports: ['8443'] } }] },
      ],
    });
    expect(allowedEdges(policy).map((e) => [e.callerNamespace, e.port, e.path])).toEqual([
      ['frontend', 9080, 'spec.rules[0].to[0].operation.ports[0]'],
      ['bookinfo', 9080, 'spec.rules[0].to[0].operation.ports[0]'],
      ['a', 8443, 'spec.rules[2].to[1].operation.ports[0]'],
    ]);
    expect(allowedEdges({ spec: { rules: 'x' } })).toEqual([]);
    expect(allowedEdges({ spec: { rules: [null, { from: 'x', to: [null] }] } })).toEqual([]);
  });
});

describe('NetworkPolicy reading', () => {
  test('restrictsIngress: policyTypes, or the API server default when absent', () => {
    expect(restrictsIngress({ spec: {} })).toBe(true);
    expect(restrictsIngress({ spec: { policyTypes: ['Ingress', 'Egress'] } })).toBe(true);
    expect(restrictsIngress({ spec: { policyTypes: ['Egress'] } })).toBe(false);
  });

  test('admitsPort', () => {
    expect(admitsPort({}, 9080)).toBe(true);
    expect(admitsPort({ ports: [] }, 9080)).toBe(true);
    expect(admitsPort({ ports: [{ port: 9080 }] }, 9080)).toBe(true);
    expect(admitsPort({ ports: [{ protocol: 'TCP', port: 9080 }] }, 9081)).toBe(false);
    expect(admitsPort({ ports: [{ protocol: 'UDP', port: 9080 }] }, 9080)).toBe(false);
    expect(admitsPort({ ports: [{ protocol: 'TCP' }] }, 9080)).toBe(true);
    expect(admitsPort({ ports: [{ port: 9000, endPort: 9100 }] }, 9080)).toBe(true);
    expect(admitsPort({ ports: [{ port: 'http' }] }, 9080)).toBe(false);
  });

  test('namespaceLabels include the Namespace object labels and the name label', () => {
    const ctx = ruleContext([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'frontend', labels: { 'team': 'web', 'kubernetes.io/metadata.name': 'spoofed' } } }]);
    expect(namespaceLabels(ctx, 'frontend')).toEqual({ 'team': 'web', 'kubernetes.io/metadata.name': 'frontend' });
    expect(namespaceLabels(ctx, 'other')).toEqual({ 'kubernetes.io/metadata.name': 'other' });
  });

  test('admitsNamespace', () => {
    const ctx = ruleContext([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'frontend', labels: { team: 'web' } } }]);
    const byName = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
    expect(admitsNamespace(ctx, {}, 'bookinfo', 'frontend')).toBe(true);
    expect(admitsNamespace(ctx, { from: [byName('frontend')] }, 'bookinfo', 'frontend')).toBe(true);
    expect(admitsNamespace(ctx, { from: [{ ...byName('frontend'), podSelector: { matchLabels: { app: 'web' } } }] }, 'bookinfo', 'frontend')).toBe(true);
    expect(admitsNamespace(ctx, { from: [byName('other')] }, 'bookinfo', 'frontend')).toBe(false);
    expect(admitsNamespace(ctx, { from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }] }, 'bookinfo', 'frontend')).toBe(true);
    expect(admitsNamespace(ctx, { from: [{ namespaceSelector: {} }] }, 'bookinfo', 'frontend')).toBe(true);
    expect(admitsNamespace(ctx, { from: [{ podSelector: {} }] }, 'bookinfo', 'frontend')).toBe(false);
    expect(admitsNamespace(ctx, { from: [{ podSelector: {} }] }, 'bookinfo', 'bookinfo')).toBe(true);
    expect(admitsNamespace(ctx, { from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }, 'bookinfo', 'frontend')).toBe(false);
    expect(admitsNamespace(ctx, { from: [null, 'x'] }, 'bookinfo', 'frontend')).toBe(false);
  });
});

describe('ingressPoliciesSelectingAll (indexed lookup)', () => {
  const label = fc.record({ app: fc.constantFrom('a', 'b'), version: fc.constantFrom('v1', 'v2'), tier: fc.constantFrom('web', 'db') }, { requiredKeys: [] });
  const selector = fc.oneof(
    label.map((l: object) => ({ matchLabels: l })),
    fc.constant({}),
    label.map((l: object) => ({ matchLabels: l, matchExpressions: [{ key: 'tier', operator: 'Exists' }] })),
  );

  test('property: finds exactly the policies the linear filter finds, in the same order', () => {
    fc.assert(fc.property(fc.array(selector, { maxLength: 12 }), label, (selectors: object[], labels: { [k: string]: string }) => {
      const nps = selectors.map((podSelector, i) => ({
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np${i}`, namespace: 'ns' }, spec: { podSelector, policyTypes: ['Ingress'] },
      }));
      const ctx = ruleContext(nps);
      const expected = ingressPolicies(ctx, 'ns').filter((np) => selectsAllPodsWith(np, labels));
      expect(ingressPoliciesSelectingAll(ctx, 'ns', labels)).toEqual(expected);
    }), { numRuns: 200 });
  });
});
