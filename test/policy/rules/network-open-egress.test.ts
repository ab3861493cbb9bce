import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { fromNs, gateway, libraryApps, loadYaml, netpol, serviceEntry, synthBreaking, tcp } from './network-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { EgressGateway } from '../../../src/mesh/egress-gateway';
import { ExternalHost } from '../../../src/mesh/external-host';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_EGRESS_001 as rule, egressGateways, openEgressAdmission } from '../../../src/policy/rules/network-open-egress';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { describeWithShared } from '../../shared';

const CONTEXT_OBJECTS = [
  gateway('istio-egressgateway', { istio: 'egressgateway' }, 'istio-system', ['./api.example.com', './books.example.com']),
  serviceEntry('egress-api', 'api.example.com', [443]),
  serviceEntry('egress-books', 'books.example.com', [80, 443]),
  serviceEntry('egress-unserved', 'unserved.example.com', [9999]),
  gateway('edge', { istio: 'ingressgateway' }, 'istio-system', ['shop.example.com']),
  gateway('mixed', { istio: 'mixed' }, 'istio-system', ['./vm.corp.internal']),
  serviceEntry('vm', 'vm.corp.internal', [5432], 'istio-system', 'MESH_INTERNAL'),
  gateway('wild', { app: 'egress' }, 'egress-ns', ['*/*']),
  serviceEntry('x', 'x.example.com', [9443], 'egress-ns'),
];
const ctx = ruleContext(CONTEXT_OBJECTS);
const EGW = { matchLabels: { istio: 'egressgateway' } };
const INTERNET = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
const out = (egress: unknown, podSelector: object = { matchLabels: { app: 'web' } }, ns = 'shop', extra: object = {}) =>
  netpol('p', { podSelector, policyTypes: ['Egress'], egress, ...extra }, ns);
const gw = (egress: unknown, podSelector: object = EGW) => out(egress, podSelector, 'istio-system');

const GOOD: [string, RuleObject][] = [
  ['the egress gateway\'s own policy (EgressGateway)', gw([
    { to: [fromNs('kube-system', { 'k8s-app': 'kube-dns' })], ports: [{ protocol: 'UDP', port: 53 }, ...tcp(53)] },
    { to: [fromNs('istio-system', { app: 'istiod' })], ports: tcp(15012) },
    { to: INTERNET, ports: tcp(443) },
  ])],
  ['the gateway on every port its hosts register (80 for TLS origination)', gw([{ to: INTERNET, ports: [...tcp(443), { port: 80 }] }])],
  ['a policy narrower than the gateway', gw([{ to: INTERNET, ports: tcp(443) }], { matchLabels: { istio: 'egressgateway', version: 'v2' } })],
  ['a gateway that serves every host of its namespace', out([{ to: INTERNET, ports: tcp(9443) }], { matchLabels: { app: 'egress' } }, 'egress-ns')],
  ['a service\'s bypass ranges (excludeOutboundIpRanges: at most /8 and /16)', out([{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr: 'fd00::/16' } }], ports: tcp(5432) }])],
  ['one address', out([{ to: [{ ipBlock: { cidr: '203.0.113.7/32' } }], ports: tcp(443) }])],
  ['a /8 that starts at 0.0.0.0', out([{ to: [{ ipBlock: { cidr: '0.0.0.0/8' } }] }])],
  ['in-cluster peers only (NET-DENY-001 judges them)', out([{ to: [fromNs('shop')] }, { to: [{ namespaceSelector: {} }], ports: tcp(80) }])],
  ['an ingress ipBlock (NET-DENY-001\'s)', netpol('p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })],
  ['egress rules of a policy that governs ingress only (inert)', out([{}], {}, 'shop', { policyTypes: ['Ingress'] })],
  ['egress deny', out([])],
  ['no spec', netpol('p', undefined)],
];

const BAD: [string, RuleObject, string[]][] = [
  ['an app pod to 0.0.0.0/0', out([{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443) }]), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['an app pod to ::/0', out([{ to: [fromNs('x'), { ipBlock: { cidr: '::/0' } }] }]), ['spec.egress[0].to[1].ipBlock.cidr']],
  ['0.0.0.0/1 + 128.0.0.0/1', out([{ to: [{ ipBlock: { cidr: '0.0.0.0/1' } }, { ipBlock: { cidr: '128.0.0.0/1' } }] }]),
    ['spec.egress[0].to[0].ipBlock.cidr', 'spec.egress[0].to[1].ipBlock.cidr']],
  ['0.0.0.0/0 except the private ranges', out([{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] } }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['an IPv4 /7 and an IPv6 /15', out([{ to: [{ ipBlock: { cidr: '8.0.0.0/7' } }] }, { to: [{ ipBlock: { cidr: '2000::/15' } }] }]),
    ['spec.egress[0].to[0].ipBlock.cidr', 'spec.egress[1].to[0].ipBlock.cidr']],
  ['egress: [{}]', out([{}]), ['spec.egress[0]']],
  ['a rule without to, on 443', out([{ ports: tcp(443) }]), ['spec.egress[0]']],
  ['to: []', out([{ to: [], ports: tcp(443) }]), ['spec.egress[0].to']],
  ['no policyTypes: the API server adds Egress for egress rules', netpol('p', { podSelector: {}, egress: [{ to: INTERNET }] }),
    ['spec.egress[0].to[0].ipBlock.cidr', 'spec.egress[0].to[1].ipBlock.cidr']],
  ['the gateway on a port none of its hosts registers', gw([{ to: INTERNET, ports: tcp(22) }]), ['spec.egress[0].to[0].ipBlock.cidr', 'spec.egress[0].to[1].ipBlock.cidr']],
  ['the gateway on a range', gw([{ to: [INTERNET[0]], ports: [{ protocol: 'TCP', port: 443, endPort: 444 }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['the gateway on every port', gw([{ to: [INTERNET[0]] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['the gateway on UDP 443', gw([{ to: [INTERNET[0]], ports: [{ protocol: 'UDP', port: 443 }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['the gateway without "to" (every pod of the cluster too)', gw([{ ports: tcp(443) }]), ['spec.egress[0]']],
  ['the egress gateway label without a Gateway object', out([{ to: [INTERNET[0]], ports: tcp(443) }], EGW), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['an ingress gateway (no external host registered for it)', gw([{ to: [INTERNET[0]], ports: tcp(443) }], { matchLabels: { istio: 'ingressgateway' } }),
    ['spec.egress[0].to[0].ipBlock.cidr']],
  ['every pod of the gateway namespace, istiod included', gw([{ to: [INTERNET[0]], ports: tcp(443) }], {}), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['a gateway serving a MESH_INTERNAL host', gw([{ to: [INTERNET[0]], ports: tcp(5432) }], { matchLabels: { istio: 'mixed' } }), ['spec.egress[0].to[0].ipBlock.cidr']],
  ['a port of a host the gateway does not serve', gw([{ to: [INTERNET[0]], ports: tcp(9999) }]), ['spec.egress[0].to[0].ipBlock.cidr']],
];

describe('NET-EGRESS-001 no NetworkPolicy opens egress to the internet, except the egress gateway\'s own (EGRESS-1)', () => {
  test('metadata', () => {
    expect(rule.id).toBe('NET-EGRESS-001');
    expect(rule.practices).toEqual(['EGRESS-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['networking.k8s.io/NetworkPolicy']);
    expect(rule.checkAll).toBeUndefined();
    // Without the output's gateways it would refuse the egress gateway's own policy: openEgressAdmission(ctx) inlines them.
    expect(rule.admission).toBeUndefined();
    expect(openEgressAdmission(ctx).message.startsWith('NET-EGRESS-001 (EGRESS-1): ')).toBe(true);
  });

  test('the egress gateways of the context: an Istio Gateway serving external hosts of its namespace, with their ports', () => {
    expect(egressGateways(ctx).map((g) => [g.namespace, g.selector, g.externalPorts])).toEqual([
      ['istio-system', { istio: 'egressgateway' }, [80, 443]],
      ['egress-ns', { app: 'egress' }, [9443]],
    ]);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('messages name the block or the missing "to", and the ports', () => {
    expect(rule.check(BAD[0][1], ctx)[0].message).toBe(
      'egress rule 0 opens 0.0.0.0/0 (wider than a /8): the pods may connect to any address, the internet included, past the egress gateway on TCP 443');
    expect(rule.check(BAD[1][1], ctx)[0].message).toMatch(/opens ::\/0 \(wider than a \/16\).* on every port$/);
    expect(rule.check(BAD[6][1], ctx)[0].message).toBe(
      'egress rule 0 has no "to", so the pods may connect to any address, the internet included, past the egress gateway on TCP 443');
  });

  test.each([
    ['egress: {}', out({}), ['spec.egress']],
    ['a rule that is a string', out(['all']), ['spec.egress[0]']],
    ['to: "all"', out([{ to: 'all' }]), ['spec.egress[0].to']],
    ['ipBlock a string', out([{ to: [{ ipBlock: '0.0.0.0/0' }] }]), ['spec.egress[0].to[0].ipBlock']],
    ['cidr "any"', out([{ to: [{ ipBlock: { cidr: 'any' } }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
    ['cidr with a bad address', out([{ to: [{ ipBlock: { cidr: '300.0.0.0/8' } }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
    ['cidr with a prefix too long', out([{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
    ['cidr without prefix', out([{ to: [{ ipBlock: { cidr: '8.8.8.8' } }] }]), ['spec.egress[0].to[0].ipBlock.cidr']],
    ['a malformed cidr is a finding even on the gateway', gw([{ to: [{ ipBlock: { cidr: 'any' } }], ports: tcp(443) }]), ['spec.egress[0].to[0].ipBlock.cidr']],
  ] as [string, RuleObject, string[]][])('wrong shape is a finding: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each([
    ['spec null', { ...out([]), spec: null }],
    ['egress null', out(null)],
    ['a null peer', out([{ to: [null] }])],
    ['a Gateway with odd servers and a ServiceEntry with odd ports in the context', out([{ to: INTERNET, ports: tcp(443) }], EGW, 'odd')],
  ])('odd shape does not throw: %s', (_name, object) => {
    const odd = ruleContext([
      { ...gateway('g', { istio: 'egressgateway' }, 'odd'), spec: { selector: { istio: 'egressgateway' }, servers: 'x' } },
      { ...serviceEntry('s', 'a', [1], 'odd'), spec: { hosts: 'a', ports: [null, { number: 'x' }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { namespace: 'odd' }, spec: { selector: { a: 1 } } },
    ]);
    expect(() => rule.check(object as RuleObject, odd)).not.toThrow();
    expect(() => openEgressAdmission(odd)).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...BAD[0][1], apiVersion: 'crd.projectcalico.org/v1' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and openEgressAdmission(ctx) agree: %s', (_name, object) => {
    expect(admits(openEgressAdmission(ctx), object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('without the gateways in the context, the gateway\'s own opening is refused (the admission form needs them inlined)', () => {
    expect(rule.check(GOOD[0][1], ruleContext([]))).toHaveLength(2);
    expect(admits(openEgressAdmission(ruleContext([])), GOOD[0][1])).toBe(false);
    expect(admits(openEgressAdmission(ruleContext([])), gateway('x', { a: 'b' }))).toBe(true);
  });

  describe('what the library synthesizes passes', () => {
    test.each(libraryApps().map((a) => [a.name, a] as const))('%s', (_name, app) => {
      expect(app.objects.flatMap((o) => rule.check(o, app.ctx).map((v) => `${o.metadata?.namespace}/${o.metadata?.name} ${v.path}`))).toEqual([]);
      const admission = openEgressAdmission(app.ctx);
      expect(app.objects.filter((o) => !admits(admission, o)).map((o) => o.metadata?.name)).toEqual([]);
    });

    test('the blueprint\'s egress gateway is recognised, with the port of its one host', () => {
      const blueprint = libraryApps().find((a) => a.name === 'examples/blueprint')!;
      expect(egressGateways(blueprint.ctx).map((g) => [g.namespace, g.selector, g.externalPorts])).toEqual([['istio-system', { istio: 'egressgateway' }, [443]]]);
    });
  });

  describe('every route to open egress is reported in the final YAML', () => {
    const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const cart = new SecureService(chart, 'cart', { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }] });
      new EgressGateway(chart, 'egress').allowExternal(ExternalHost.https('api.example.com'), { from: [cart] });
      return chart;
    }
    const policy = (chart: Chart, name: string) => chart.node.findAll()
      .find((c) => c instanceof ApiObject && c.kind === 'NetworkPolicy' && c.metadata.name === name) as ApiObject;
    const findings = (objects: RuleObject[]) => {
      const c = ruleContext(objects);
      return objects.flatMap((o) => rule.check(o, c).map((v) => `${o.metadata?.namespace}/${o.metadata?.name} ${v.path}`));
    };

    test('the library\'s own output passes', () => {
      expect(findings(Testing.synth(app()))).toEqual([]);
    });

    test('JSON patch: the gateway\'s internet rule moved to another port', () => {
      const chart = app();
      policy(chart, 'istio-egressgateway-egress').addJsonPatch(JsonPatch.replace('/spec/egress/2/ports/0/port', 22));
      expect(findings(synthBreaking(chart, 'NET-EGRESS-001'))).toEqual([
        'istio-system/istio-egressgateway-egress spec.egress[2].to[0].ipBlock.cidr',
        'istio-system/istio-egressgateway-egress spec.egress[2].to[1].ipBlock.cidr',
      ]);
    });

    test('JSON patch: the gateway\'s internet rule without "to"', () => {
      const chart = app();
      policy(chart, 'istio-egressgateway-egress').addJsonPatch(JsonPatch.remove('/spec/egress/2/to'));
      expect(findings(synthBreaking(chart, 'NET-EGRESS-001'))).toEqual(['istio-system/istio-egressgateway-egress spec.egress[2]']);
    });

    test('JSON patch: the gateway\'s policy made to select every pod of istio-system', () => {
      const chart = app();
      policy(chart, 'istio-egressgateway-egress').addJsonPatch(JsonPatch.replace('/spec/podSelector', {}));
      expect(findings(synthBreaking(chart, 'NET-EGRESS-001'))).toHaveLength(2);
    });

    test('JSON patch: a caller\'s egress opened to the internet', () => {
      const chart = app();
      policy(chart, 'cart-egress').addJsonPatch(JsonPatch.add('/spec/egress/-', { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }));
      expect(findings(synthBreaking(chart, 'NET-EGRESS-001'))).toEqual(['shop/cart-egress spec.egress[1].to[0].ipBlock.cidr']);
    });

    test('a raw ApiObject copying the gateway\'s label in an app namespace', () => {
      const chart = app();
      new ApiObject(chart, 'copy', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'copy', namespace: 'shop' },
        spec: { podSelector: EGW, policyTypes: ['Egress'], egress: [{ to: INTERNET, ports: tcp(443) }] },
      });
      expect(findings(synthBreaking(chart, 'NET-EGRESS-001'))).toEqual(['shop/copy spec.egress[0].to[0].ipBlock.cidr', 'shop/copy spec.egress[0].to[1].ipBlock.cidr']);
    });
  });
});

/*
 * No labelled NetworkPolicy in the external corpus blocks 0.0.0.0/0. Online Boutique (Anthos
 * Service Mesh samples) gives every service `egress: [{}]`, relying on the mesh alone for egress;
 * here that is direct internet access past the egress gateway (stricter than the authors: EGRESS-1).
 */
describeWithShared('external-corpus/apps/asm-boutique-ns', 'the external corpus: Online Boutique\'s NetworkPolicies', (dir) => {
  const files = ['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'deny-all', 'emailservice', 'frontend', 'loadgenerator',
    'paymentservice', 'productcatalogservice', 'recommendationservice', 'redis', 'shippingservice'].map((s) => `network-policy-${s}.yaml`);
  const policies = loadYaml(dir, files);
  const c = ruleContext(policies);

  test('deny-all passes; every other policy opens egress to everywhere', () => {
    const found = Object.fromEntries(policies.map((p) => [p.metadata?.name, rule.check(p, c).map((v) => v.path)]));
    expect(Object.keys(found)).toHaveLength(13);
    expect(found['deny-all']).toEqual([]);
    for (const name of Object.keys(found).filter((n) => n !== 'deny-all')) expect([name, found[name]]).toEqual([name, ['spec.egress[0]']]);
  });

  test('check() and openEgressAdmission(ctx) agree on every policy', () => {
    const admission = openEgressAdmission(c);
    for (const p of policies) expect([p.metadata?.name, admits(admission, p)]).toEqual([p.metadata?.name, rule.check(p, c).length === 0]);
  });
});
