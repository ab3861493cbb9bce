import * as fc from 'fast-check';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  admitsNamespace, admitsPods, admitsPort, allowPolicies, allowPoliciesIn, allowedCallers, allowedEdges, findNamed, gatewayWaypoint, ingressPolicies,
  ingressPoliciesSelectingAll, isWaypointPrincipal, l4PortOf, namespaceDataPlane, namespaceLabels, podDataPlane, portNumber, principalNamespace,
  restrictsIngress, selectsAllPodsWith, serviceSelector, serviceWaypoint, targetedAllowPolicies, waypointPodLabels,
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

describe('ambient: data planes, HBONE, waypoints', () => {
  const namespace = (name: string, labels: { [key: string]: string }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const service = (name: string, labels: { [key: string]: string } = {}, spec: object = { selector: { app: name } }, ns = 'mall') => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec,
  });
  const waypointGateway = (name = 'waypoint', ns = 'mall', labels: { [key: string]: string } = { 'istio.io/waypoint-for': 'service' }, className = 'istio-waypoint') => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: ns, labels },
    spec: { gatewayClassName: className, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  });
  const NAMESPACES = [
    namespace('mall', { 'istio.io/dataplane-mode': 'ambient' }),
    namespace('shop', { 'istio-injection': 'enabled' }),
    namespace('canary', { 'istio.io/rev': 'canary' }),
    namespace('both', { 'istio-injection': 'enabled', 'istio.io/dataplane-mode': 'ambient' }),
    namespace('ambient-no-sidecars', { 'istio-injection': 'disabled', 'istio.io/dataplane-mode': 'ambient' }),
    namespace('plain', {}),
    namespace('waypointed', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' }),
  ];

  test('namespaceDataPlane: injection wins over ambient; unknown namespaces have none', () => {
    const ctx = ruleContext(NAMESPACES);
    expect(['mall', 'shop', 'canary', 'both', 'ambient-no-sidecars', 'plain', 'absent'].map((n) => namespaceDataPlane(ctx, n)))
      .toEqual(['ambient', 'sidecar', 'sidecar', 'sidecar', 'ambient', undefined, undefined]);
  });

  test('podDataPlane: opt-outs, sidecars, gateway pods and pod-level enrolment', () => {
    const ctx = ruleContext(NAMESPACES);
    const meta = (labels: { [key: string]: string }, annotations: { [key: string]: string } = {}) => ({ labels, annotations });
    expect(podDataPlane(ctx, 'mall', meta({ app: 'a' }))).toBe('ambient');
    expect(podDataPlane(ctx, 'mall', undefined)).toBe('ambient');
    expect(podDataPlane(ctx, 'mall', meta({ 'istio.io/dataplane-mode': 'none' }))).toBeUndefined();
    expect(podDataPlane(ctx, 'mall', meta({ 'sidecar.istio.io/inject': 'true' }))).toBe('sidecar');
    expect(podDataPlane(ctx, 'mall', meta({}, { 'sidecar.istio.io/status': '{}' }))).toBe('sidecar');
    expect(podDataPlane(ctx, 'mall', meta({ 'gateway.networking.k8s.io/gateway-name': 'waypoint' }))).toBeUndefined();
    expect(podDataPlane(ctx, 'shop', meta({}))).toBe('sidecar');
    expect(podDataPlane(ctx, 'both', meta({ 'sidecar.istio.io/inject': 'false' }))).toBe('ambient');
    expect(podDataPlane(ctx, 'plain', meta({ 'istio.io/dataplane-mode': 'ambient' }))).toBe('ambient');
    expect(podDataPlane(ctx, 'plain', meta({}))).toBeUndefined();
    expect(podDataPlane(ctx, 'absent', meta({}))).toBeUndefined();
    expect(podDataPlane(ctx, 'mall', { labels: 'x' } as any)).toBe('ambient');
  });

  test('l4PortOf: 15008 to ambient pods, and from ambient callers to sidecar pods; the app port otherwise', () => {
    const ctx = ruleContext(NAMESPACES);
    expect(l4PortOf(ctx, 'shop', 'mall', 9080)).toBe(15008);
    expect(l4PortOf(ctx, 'mall', 'mall', 9080)).toBe(15008);
    expect(l4PortOf(ctx, 'absent', 'mall', 9080)).toBe(15008);
    expect(l4PortOf(ctx, 'mall', 'shop', 9080)).toBe(15008);
    expect(l4PortOf(ctx, 'canary', 'shop', 9080)).toBe(9080);
    expect(l4PortOf(ctx, 'absent', 'shop', 9080)).toBe(9080);
    expect(l4PortOf(ctx, 'mall', 'plain', 9080)).toBe(9080);
    expect(l4PortOf(ctx, 'mall', 'absent', 9080)).toBe(9080);
  });

  test('serviceWaypoint: the Service label, else the namespace\'s, none, headless, waypoint-for', () => {
    const ctx = ruleContext([...NAMESPACES, waypointGateway(), waypointGateway('l4-only', 'mall', { 'istio.io/waypoint-for': 'workload' })]);
    expect(serviceWaypoint(ctx, service('cart', { 'istio.io/use-waypoint': 'waypoint' }))).toEqual({ name: 'waypoint', namespace: 'mall' });
    expect(serviceWaypoint(ctx, service('cart', { 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' }))).toEqual({ name: 'shared', namespace: 'infra' });
    expect(serviceWaypoint(ctx, service('cart'))).toBeUndefined();
    expect(serviceWaypoint(ctx, service('cart', {}, { selector: { app: 'cart' } }, 'waypointed'))).toEqual({ name: 'shared', namespace: 'infra' });
    expect(serviceWaypoint(ctx, service('cart', { 'istio.io/use-waypoint': 'none' }, { selector: { app: 'cart' } }, 'waypointed'))).toBeUndefined();
    expect(serviceWaypoint(ctx, service('cart', { 'istio.io/use-waypoint': 'waypoint' }, { clusterIP: 'None', selector: { app: 'cart' } }))).toBeUndefined();
    expect(serviceWaypoint(ctx, service('cart', { 'istio.io/use-waypoint': 'l4-only' }))).toBeUndefined();
    expect(serviceWaypoint(ctx, { kind: 'Service', metadata: { name: 'x' } })).toBeUndefined();
    expect(serviceWaypoint(ctx, { kind: 'Service', metadata: { name: 'x', namespace: 'mall', labels: { 'istio.io/use-waypoint': 'waypoint' } }, spec: 'x' }))
      .toEqual({ name: 'waypoint', namespace: 'mall' });
  });

  test('gatewayWaypoint, findNamed, waypoint principal and pod labels, serviceSelector', () => {
    const ctx = ruleContext([waypointGateway(), waypointGateway('edge', 'mall', {}, 'istio'), service('cart')]);
    expect(gatewayWaypoint(ctx, 'mall', 'waypoint')).toEqual({ name: 'waypoint', namespace: 'mall' });
    expect(gatewayWaypoint(ctx, 'mall', 'edge')).toBeUndefined();
    expect(gatewayWaypoint(ctx, 'shop', 'waypoint')).toBeUndefined();
    expect(findNamed(ctx, 'Service', 'mall', 'cart')?.metadata?.name).toBe('cart');
    expect(findNamed(ctx, 'Service', 'mall', 'waypoint')).toBeUndefined();
    const wp = { name: 'waypoint', namespace: 'mall' };
    expect(isWaypointPrincipal('cluster.local/ns/mall/sa/waypoint', wp)).toBe(true);
    expect(isWaypointPrincipal('example.org/ns/mall/sa/waypoint', wp)).toBe(true);
    expect(isWaypointPrincipal('cluster.local/ns/mall/sa/waypoint-istio', wp)).toBe(false);
    expect(isWaypointPrincipal('cluster.local/ns/shop/sa/waypoint', wp)).toBe(false);
    expect(waypointPodLabels(wp)).toEqual({ 'gateway.networking.k8s.io/gateway-name': 'waypoint' });
    expect(serviceSelector(service('cart'))).toEqual({ app: 'cart' });
    expect(serviceSelector(service('ext', {}, { type: 'ExternalName', externalName: 'x.example.com' }))).toBeUndefined();
    expect(serviceSelector(service('odd', {}, { selector: { app: 7 } }))).toBeUndefined();
  });

  test('targetedAllowPolicies: ALLOW policies with targetRefs (or targetRef), same-namespace targets only; allowPolicies unchanged', () => {
    const ctx = ruleContext([
      ap({ targetRefs: [{ kind: 'Service', group: '', name: 'cart' }, { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] }, 'mall'),
      ap({ targetRef: { kind: 'Service', name: 'legacy' } }, 'mall'),
      ap({ targetRefs: [{ kind: 'Service', name: 'elsewhere', namespace: 'other' }, null, { kind: 'Service' }] }, 'mall'),
      ap({ action: 'DENY', targetRefs: [{ kind: 'Service', name: 'cart' }] }, 'mall'),
      ap({ selector: { matchLabels: { app: 'a' } } }, 'mall'),
    ]);
    expect(targetedAllowPolicies(ctx).map((p) => p.targets)).toEqual([
      [{ group: '', kind: 'Service', name: 'cart', path: 'spec.targetRefs[0]' }, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint', path: 'spec.targetRefs[1]' }],
      [{ group: '', kind: 'Service', name: 'legacy', path: 'spec.targetRef' }],
      [],
    ]);
    expect(allowPolicies(ctx).map((p) => p.matchLabels)).toEqual([{ app: 'a' }]);
  });

  test('allowedCallers: every principal of every rule, whatever the ports, with paths', () => {
    const policy = ap({
      rules: [
        { from: [{ source: { principals: ['cluster.local/ns/front/sa/web'], requestPrincipals: ['https://idp/*'] } }], to: [{ operation: { paths: ['/api/*'] } }] },
        { from: [{ source: { namespaces: ['x'] } }, { source: { principals: ['cluster.local/ns/*/sa/x', 'cluster.local/ns/mall/sa/job', 7] } }] },
      ],
    });
    expect(allowedCallers(policy).map((c) => [c.callerNamespace, c.path])).toEqual([
      ['front', 'spec.rules[0].from[0].source.principals[0]'],
      ['mall', 'spec.rules[1].from[1].source.principals[1]'],
    ]);
    expect(allowedCallers({ spec: { rules: [null, { from: 'x' }, { from: [{ source: null }] }] } })).toEqual([]);
  });

  test('admitsPods: the peer must also select the caller\'s pods', () => {
    const ctx = ruleContext([namespace('mall', { 'istio.io/dataplane-mode': 'ambient' })]);
    const wp = { 'gateway.networking.k8s.io/gateway-name': 'waypoint' };
    const ns = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mall' } } };
    expect(admitsPods(ctx, {}, 'mall', 'mall', wp)).toBe(true);
    expect(admitsPods(ctx, { from: [ns] }, 'mall', 'mall', wp)).toBe(true);
    expect(admitsPods(ctx, { from: [{ ...ns, podSelector: { matchLabels: wp } }] }, 'mall', 'mall', wp)).toBe(true);
    expect(admitsPods(ctx, { from: [{ ...ns, podSelector: { matchLabels: { app: 'web' } } }] }, 'mall', 'mall', wp)).toBe(false);
    expect(admitsPods(ctx, { from: [{ podSelector: { matchLabels: wp } }] }, 'mall', 'mall', wp)).toBe(true);
    expect(admitsPods(ctx, { from: [{ podSelector: { matchLabels: wp } }] }, 'shop', 'mall', wp)).toBe(false);
    expect(admitsPods(ctx, { from: [{ podSelector: { matchLabels: { app: 'web' } } }] }, 'mall', 'mall', wp)).toBe(false);
    expect(admitsPods(ctx, { from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, null] }, 'mall', 'mall', wp)).toBe(false);
  });
});
