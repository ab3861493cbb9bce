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

describe('NET-L4-001 in ambient: HBONE on 15008, and through the waypoint', () => {
  const ns = (name: string, labels: { [key: string]: string }): RuleObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const MALL = ns('mall', { 'istio.io/dataplane-mode': 'ambient' });
  const FRONT = ns('front', { 'istio-injection': 'enabled' });
  const EDGE = ns('edge', { 'istio.io/dataplane-mode': 'ambient' });
  const WP = { 'gateway.networking.k8s.io/gateway-name': 'waypoint' };
  const fromPods = (namespace: string, labels: { [key: string]: string }) => ({
    namespaceSelector: { matchLabels: { [NS_LABEL]: namespace } }, podSelector: { matchLabels: labels },
  });
  const cartPolicy = (principals: string[], ports = ['9080']) => authz('cart', {
    selector: { matchLabels: { app: 'cart' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals } }], to: [{ operation: { ports } }] }],
  }, 'mall');
  const cartIngress = (...rules: object[]) => netpol('cart-ingress', { podSelector: { matchLabels: { app: 'cart' } }, policyTypes: ['Ingress'], ingress: rules }, 'mall');
  const DENY = netpol('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'mall');
  const runAll = (...objects: RuleObject[]) => RULE.checkAll!(ruleContext(objects)).map((r) => ({
    object: r.object?.metadata?.name, path: r.violation.path, port: r.violation.port, message: r.violation.message,
  }));

  describe('ztunnel (selector) policies', () => {
    const DIRECT = cartPolicy([principal('front', 'web')]);

    test('GOOD: the callers\' namespace admitted on 15008', () => {
      expect(runAll(MALL, FRONT, DENY, DIRECT, cartIngress({ from: [fromNs('front')], ports: tcp(15008) }))).toEqual([]);
      expect(runAll(MALL, FRONT, DENY, DIRECT, cartIngress({ from: [fromPods('front', { app: 'web' })], ports: tcp(15008, 9080) }))).toEqual([]);
    });

    test('BAD: an app-port NetworkPolicy that misses 15008 (the outage Istio\'s docs warn about)', () => {
      expect(runAll(MALL, FRONT, DENY, DIRECT, cartIngress({ from: [fromNs('front')], ports: tcp(9080) }))).toEqual([{
        object: 'cart',
        path: 'spec.rules[0].to[0].operation.ports[0]',
        port: 15008,
        message: 'allows cluster.local/ns/front/sa/web (namespace "front") on port 9080; "mall" is ambient, so the connection reaches its pods as HBONE on TCP 15008, '
          + 'but no NetworkPolicy in "mall" selecting app=cart admits namespace "front" on TCP 15008 (one admits it on TCP 9080, the app port, which HBONE traffic never uses)',
      }]);
    });

    test('BAD: nothing admits the caller; 15008 for another namespace only', () => {
      expect(runAll(MALL, FRONT, DENY, DIRECT).map((f) => [f.port, f.message.endsWith('on TCP 15008')])).toEqual([[15008, true]]);
      expect(runAll(MALL, FRONT, DENY, DIRECT, cartIngress({ from: [fromNs('other')], ports: tcp(15008) }))).toHaveLength(1);
    });

    test('one finding per caller namespace however many app ports map to 15008', () => {
      expect(runAll(MALL, FRONT, DENY, cartPolicy([principal('front', 'web'), principal('front', 'api')], ['9080', '9443']))).toHaveLength(1);
    });

    test('an ambient caller reaches a sidecar pod on 15008 too; sidecar to sidecar stays on the app port', () => {
      const shopPolicy = (caller: string) => authz('reviews', {
        selector: { matchLabels: { app: 'reviews' } }, rules: [{ from: [{ source: { principals: [principal(caller, 'web')] } }], to: [{ operation: { ports: ['9080'] } }] }],
      }, 'front');
      const reviewsIngress = (port: number, from: string) => netpol('reviews', { podSelector: { matchLabels: { app: 'reviews' } }, ingress: [{ from: [fromNs(from)], ports: tcp(port) }] }, 'front');
      expect(runAll(FRONT, EDGE, shopPolicy('edge'), reviewsIngress(9080, 'edge')).map((f) => f.message)).toEqual([
        'allows cluster.local/ns/edge/sa/web (namespace "edge") on port 9080; "edge" is ambient, so its pods reach the sidecar pods of "front" as HBONE on TCP 15008, '
          + 'but no NetworkPolicy in "front" selecting app=reviews admits namespace "edge" on TCP 15008 (one admits it on TCP 9080, the app port, which HBONE traffic never uses)',
      ]);
      expect(runAll(FRONT, EDGE, shopPolicy('edge'), reviewsIngress(15008, 'edge'))).toEqual([]);
      const sidecarCaller = ns('other', { 'istio.io/rev': 'canary' });
      expect(runAll(FRONT, sidecarCaller, shopPolicy('other'), reviewsIngress(9080, 'other'))).toEqual([]);
      expect(runAll(FRONT, sidecarCaller, shopPolicy('other'), reviewsIngress(15008, 'other'))).toHaveLength(1);
    });

    test('an ambient namespace with no ingress NetworkPolicy at all is NET-DENY-001\'s, not one finding per edge', () => {
      expect(runAll(MALL, FRONT, DIRECT)).toEqual([]);
    });
  });

  describe('through the waypoint (targetRefs to the Service)', () => {
    const gatewayObj = (name = 'waypoint', namespace = 'mall', labels: { [key: string]: string } = { 'istio.io/waypoint-for': 'service' }): RuleObject => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace, labels },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    const service = (labels: { [key: string]: string } = { 'istio.io/use-waypoint': 'waypoint' }, spec: object = {}): RuleObject => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: 'mall', labels }, spec: { selector: { app: 'cart' }, ports: [{ port: 80, targetPort: 9080 }], ...spec },
    });
    const L7 = authz('cart-waypoint', {
      targetRefs: [{ group: '', kind: 'Service', name: 'cart' }],
      rules: [{ from: [{ source: { principals: [principal('front', 'web')] } }], to: [{ operation: { ports: ['9080'], paths: ['/api/*'], methods: ['GET'] } }] }],
    }, 'mall');
    const HOP = cartPolicy([principal('mall', 'waypoint')]);
    const WAYPOINT_NP = netpol('waypoint', { podSelector: { matchLabels: WP }, policyTypes: ['Ingress'], ingress: [{ from: [fromPods('front', { app: 'web' })], ports: tcp(15008) }] }, 'mall');
    const CART_NP = cartIngress({ from: [fromPods('mall', WP)], ports: tcp(15008) });
    const WORLD = [MALL, FRONT, DENY, gatewayObj(), service(), L7, HOP, WAYPOINT_NP, CART_NP];
    const without = (...names: string[]) => WORLD.filter((o) => !(o.kind === 'NetworkPolicy' || o.kind === 'AuthorizationPolicy') || !names.includes(o.metadata!.name!));

    test('GOOD: callers to the waypoint pods on 15008, the waypoint pods to the Service\'s pods on 15008', () => {
      expect(runAll(...WORLD)).toEqual([]);
    });

    test('BAD: the waypoint\'s NetworkPolicy missing: the caller cannot reach the waypoint', () => {
      expect(runAll(...without('waypoint'))).toEqual([{
        object: 'cart-waypoint',
        path: 'spec.rules[0].from[0].source.principals[0]',
        port: 15008,
        message: 'allows cluster.local/ns/front/sa/web (namespace "front") through Service "mall/cart", which goes through waypoint "mall/waypoint"; '
          + 'the caller reaches the waypoint\'s pods as HBONE on TCP 15008, but no NetworkPolicy in "mall" selecting gateway.networking.k8s.io/gateway-name=waypoint '
          + 'admits namespace "front" on TCP 15008',
      }]);
    });

    test('BAD: the Service\'s pods admit the callers instead of the waypoint (reported once, on the policy that names the waypoint)', () => {
      const callersInstead = cartIngress({ from: [fromNs('front'), { podSelector: { matchLabels: { app: 'web' } } }], ports: tcp(15008) });
      expect(runAll(...without('cart-ingress'), callersInstead)).toEqual([{
        object: 'cart',
        path: 'spec.rules[0].to[0].operation.ports[0]',
        port: 15008,
        message: 'allows cluster.local/ns/mall/sa/waypoint (namespace "mall") on port 9080; the waypoint reaches the pods of "mall" as HBONE on TCP 15008, '
          + 'but no NetworkPolicy in "mall" selecting app=cart admits the pods of waypoint "mall/waypoint" (gateway.networking.k8s.io/gateway-name=waypoint) on TCP 15008',
      }]);
    });

    test('BAD: the waypoint admitted on the app port only', () => {
      const appPort = cartIngress({ from: [fromPods('mall', WP)], ports: tcp(9080) });
      expect(runAll(...without('cart-ingress'), appPort).map((f) => [f.object, f.message.endsWith('the app port, which HBONE traffic never uses)')])).toEqual([['cart', true]]);
    });

    test('a waypoint reaches sidecar pods on 15008 too (a waypoint principal in a sidecar namespace\'s policy)', () => {
      const ledger = ns('ledger', { 'istio-injection': 'enabled' });
      const books = authz('books', {
        selector: { matchLabels: { app: 'books' } }, rules: [{ from: [{ source: { principals: [principal('mall', 'waypoint')] } }], to: [{ operation: { ports: ['9080'] } }] }],
      }, 'ledger');
      const booksNp = (port: number) => netpol('books', { podSelector: { matchLabels: { app: 'books' } }, ingress: [{ from: [fromPods('mall', WP)], ports: tcp(port) }] }, 'ledger');
      expect(runAll(ledger, MALL, gatewayObj(), books, booksNp(15008))).toEqual([]);
      expect(runAll(ledger, MALL, gatewayObj(), books, booksNp(9080)).map((f) => f.port)).toEqual([15008]);
    });

    test('without a selector policy naming the waypoint, the hop to the pods is the targetRefs policy\'s', () => {
      expect(runAll(...without('cart'))).toEqual([]);
      expect(runAll(...without('cart', 'cart-ingress'))).toEqual([{
        object: 'cart-waypoint',
        path: 'spec.targetRefs[0]',
        port: 15008,
        message: 'allows callers of Service "mall/cart", which goes through waypoint "mall/waypoint"; the waypoint\'s pods reach the Service\'s pods as HBONE on TCP 15008, '
          + 'but no NetworkPolicy in "mall" selecting app=cart admits the waypoint\'s pods (gateway.networking.k8s.io/gateway-name=waypoint in namespace "mall") on TCP 15008',
      }]);
    });

    test('a policy without ports still needs the waypoint path (ports, paths and methods do not matter at L4)', () => {
      const pathsOnly = authz('cart-waypoint', {
        targetRefs: [{ group: '', kind: 'Service', name: 'cart' }], rules: [{ from: [{ source: { principals: [principal('front', 'web')] } }], to: [{ operation: { paths: ['/api/*'] } }] }],
      }, 'mall');
      expect(runAll(...without('cart-waypoint', 'waypoint'), pathsOnly).map((f) => f.path)).toEqual(['spec.rules[0].from[0].source.principals[0]']);
    });

    test('the waypoint named by the namespace label, in another namespace', () => {
      const mall = ns('mall', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'infra' });
      const infraNp = (from: string) => netpol('waypoint', { podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'shared' } }, ingress: [{ from: [fromNs(from)], ports: tcp(15008) }] }, 'infra');
      const cartNp = cartIngress({ from: [fromPods('infra', { 'gateway.networking.k8s.io/gateway-name': 'shared' })], ports: tcp(15008) });
      const objects = [mall, FRONT, DENY, gatewayObj('shared', 'infra'), service({}), L7, cartNp];
      expect(runAll(...objects, infraNp('front'))).toEqual([]);
      expect(runAll(...objects, infraNp('other')).map((f) => f.message)).toEqual([expect.stringContaining('no NetworkPolicy in "infra" selecting gateway.networking.k8s.io/gateway-name=shared admits namespace "front"')]);
      expect(runAll(...objects.filter((o) => o !== cartNp), infraNp('front')).map((f) => f.path)).toEqual(['spec.targetRefs[0]']);
    });

    test('targetRefs to the waypoint Gateway: the callers must reach the waypoint', () => {
      const atGateway = authz('gw-allow', {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }], rules: [{ from: [{ source: { principals: [principal('edge', 'job')] } }] }],
      }, 'mall');
      expect(runAll(...WORLD, EDGE, atGateway).map((f) => [f.object, f.path])).toEqual([['gw-allow', 'spec.rules[0].from[0].source.principals[0]']]);
      const edgeToo = netpol('waypoint-edge', { podSelector: { matchLabels: WP }, ingress: [{ from: [fromNs('edge')], ports: tcp(15008) }] }, 'mall');
      expect(runAll(...WORLD, EDGE, atGateway, edgeToo)).toEqual([]);
    });

    test('not checked: no waypoint (no label, none, headless, waypoint-for workload), an unknown Service, a non-waypoint Gateway, an unisolated namespace', () => {
      const bare = [MALL, FRONT, DENY, L7];
      expect(runAll(...bare, gatewayObj(), service({}))).toEqual([]);
      expect(runAll(...bare, gatewayObj(), service({ 'istio.io/use-waypoint': 'none' }))).toEqual([]);
      expect(runAll(...bare, gatewayObj(), service(undefined, { clusterIP: 'None' }))).toEqual([]);
      expect(runAll(...bare, gatewayObj('waypoint', 'mall', { 'istio.io/waypoint-for': 'workload' }), service())).toEqual([]);
      expect(runAll(...bare, gatewayObj())).toEqual([]);
      const ingressGateway = { ...gatewayObj('public'), spec: { gatewayClassName: 'istio', listeners: [] } };
      expect(runAll(...bare, ingressGateway, authz('gw', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }], rules: L7.spec.rules }, 'mall'))).toEqual([]);
      expect(runAll(MALL, FRONT, L7, gatewayObj(), service())).toEqual([]);
      expect(runAll(...bare, gatewayObj(), service(), authz('deny', { ...L7.spec, action: 'DENY' }, 'mall'))).toHaveLength(2);
    });

    test('odd shapes do not throw', () => {
      expect(() => runAll(MALL, DENY, gatewayObj(), service(), { ...service(), spec: null } as RuleObject,
        authz('odd', { targetRefs: 'x', rules: [{ from: [{ source: { principals: 'x' } }] }] }, 'mall'),
        authz('odd2', { targetRefs: [{ kind: 'Service', name: 'cart' }], rules: 'x' }, 'mall'),
        authz('odd3', { targetRef: [], rules: [{ from: [{ source: { principals: [principal('front', 'web')] } }] }] }, 'mall'),
        { kind: 'Gateway', apiVersion: 'gateway.networking.k8s.io/v1', metadata: { name: 'waypoint', namespace: 'mall' }, spec: 'x' })).not.toThrow();
    });
  });
});
