import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { NS_LABEL, fromNs, gateway, libraryApps, loadYaml, namespace, netpol, synthBreaking, tcp } from './network-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleContext, RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_DENY_001 as rule, defaultDenyAdmission, isDefaultDeny } from '../../../src/policy/rules/network-default-deny';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { describeWithShared } from '../../shared';

const GATEWAYS = [
  gateway('edge', { istio: 'ingressgateway' }),
  gateway('public', { app: 'public-gw' }, 'edge-ns'),
  gateway('strict', { app: 'strict-gw', tier: 'edge' }, 'edge-ns'),
];
const ctx = ruleContext(GATEWAYS);
const ISTIOD = { matchLabels: { app: 'istiod' } };
const GW = { matchLabels: { istio: 'ingressgateway' } };
const all = (spec: object, ns = 'shop') => netpol('p', { podSelector: {}, ...spec }, ns);

const GOOD: [string, RuleObject][] = [
  ['default deny, both directions (HardenedNamespace)', all({ policyTypes: ['Ingress', 'Egress'] })],
  ['empty rule lists', all({ policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] })],
  ['DNS egress to kube-dns', all({ policyTypes: ['Egress'], egress: [{ to: [fromNs('kube-system', { 'k8s-app': 'kube-dns' })], ports: [{ protocol: 'UDP', port: 53 }, ...tcp(53)] }] })],
  ['a caller namespace and its pods, on a port (SecureService)', netpol('cart-ingress', {
    podSelector: { matchLabels: { app: 'cart' } }, policyTypes: ['Ingress'], ingress: [{ from: [fromNs('front', { app: 'web' })], ports: tcp(9080) }],
  })],
  ['a whole caller namespace by name, on every port', all({ ingress: [{ from: [fromNs('front')] }] })],
  ['every pod of the policy\'s own namespace', all({ ingress: [{ from: [{ podSelector: {} }] }] })],
  ['labelled pods of any namespace (not every pod)', all({ ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'prometheus' } } }] }] })],
  ['every mesh namespace (a label is required)', all({ ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }], ports: tcp(15012) }] })],
  ['namespaces by In', all({ ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'In', values: ['a', 'b'] }] } }] }] })],
  ['namespaces by a label that must exist', all({ ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }] }] })],
  ['an ingress ipBlock of a /8, the widest accepted', all({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: tcp(5432) }] })],
  ['an ingress ipBlock of an IPv6 /16', all({ ingress: [{ from: [{ ipBlock: { cidr: 'fd00::/16' } }] }] })],
  ['egress ipBlocks are NET-EGRESS-001\'s', all({ policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443) }] })],
  ['istiod\'s webhook port from any source (MeshBaseline without apiServerCidrs)', netpol('istiod-ingress', {
    podSelector: ISTIOD, policyTypes: ['Ingress'], ingress: [{ from: [fromNs('x')], ports: tcp(15012) }, { ports: tcp(15017) }],
  }, 'istio-system')],
  ['istiod\'s webhook port from 0.0.0.0/0', netpol('istiod-ingress', { podSelector: ISTIOD, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(15017) }] }, 'istio-system')],
  ['istiod by istio: pilot and a revision, webhook port without protocol', netpol('w', {
    podSelector: { matchLabels: { 'istio': 'pilot', 'istio.io/rev': 'canary' } }, ingress: [{ ports: [{ port: 15017 }, { port: 15017, endPort: 15017 }] }],
  }, 'istio-system')],
  ['the ingress gateway on its listed ports (IngressGateway)', netpol('edge-ingress', { podSelector: GW, policyTypes: ['Ingress'], ingress: [{ ports: tcp(8080, 8443) }] }, 'istio-system')],
  ['a policy narrower than the Gateway, from 0.0.0.0/0', netpol('edge-v2', {
    podSelector: { matchLabels: { istio: 'ingressgateway', version: 'v2' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { namespaceSelector: {} }], ports: tcp(8443) }],
  }, 'istio-system')],
  ['a gateway\'s named port, in the Gateway\'s namespace', netpol('public', { podSelector: { matchLabels: { app: 'public-gw' } }, ingress: [{ ports: [{ port: 'https' }] }] }, 'edge-ns')],
  ['ingress rules of a policy that governs egress only (inert)', all({ policyTypes: ['Egress'], ingress: [{}], egress: [{ to: [fromNs('x')] }] })],
  ['egress rules of a policy that governs ingress only (inert)', all({ policyTypes: ['Ingress'], egress: [{}] })],
  ['no spec', netpol('p', undefined)],
  ['ambient: the kubelet probe address on every port',
    all({ policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }] }, 'mall')],
  ['ambient: HBONE from the callers\' pods (SecureService ingress in ambient)', netpol('cart-ingress', {
    podSelector: { matchLabels: { app: 'cart' } }, policyTypes: ['Ingress'], ingress: [{ from: [fromNs('front', { app: 'web' })], ports: tcp(15008) }],
  }, 'mall')],
  ['ambient: the waypoint\'s pods admit the callers on 15008, and reach the services\' pods on 15008', netpol('waypoint', {
    podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [fromNs('front', { app: 'web' })], ports: tcp(15008) }],
    egress: [{ to: [fromNs('mall', { app: 'cart' })], ports: tcp(15008) }],
  }, 'mall')],
];

const BAD: [string, RuleObject, string[]][] = [
  ['ingress: [{}] (the cdk8s-plus default ALLOW)', all({ policyTypes: ['Ingress'], ingress: [{}] }), ['spec.ingress[0]']],
  ['a rule without from on one port: the cluster and the internet on 80', netpol('web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: tcp(80) }] }), ['spec.ingress[0]']],
  ['from: []', all({ ingress: [{ from: [], ports: tcp(80) }] }), ['spec.ingress[0].from']],
  ['namespaceSelector {}', all({ ingress: [{ from: [{ namespaceSelector: {} }], ports: tcp(9080) }] }), ['spec.ingress[0].from[0].namespaceSelector']],
  ['namespaceSelector {} and podSelector {}', all({ ingress: [{ from: [{ namespaceSelector: {}, podSelector: {} }] }] }), ['spec.ingress[0].from[0].namespaceSelector']],
  ['every namespace but one (NotIn)', all({ ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'NotIn', values: ['untrusted'] }] } }] }] }),
    ['spec.ingress[0].from[0].namespaceSelector']],
  ['every namespace (Exists on the name label), pods without a label (DoesNotExist)', all({
    ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'Exists' }] }, podSelector: { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] } }] }],
  }), ['spec.ingress[0].from[0].namespaceSelector']],
  ['ingress from 0.0.0.0/0', all({ ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443) }] }), ['spec.ingress[0].from[0].ipBlock.cidr']],
  ['ingress from ::/0 with an except', all({ ingress: [{ from: [{ ipBlock: { cidr: '::/0', except: ['fd00::/8'] } }] }] }), ['spec.ingress[0].from[0].ipBlock.cidr']],
  ['ingress from 0.0.0.0/1 + 128.0.0.0/1', all({ ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/1' } }, { ipBlock: { cidr: '128.0.0.0/1' } }] }] }),
    ['spec.ingress[0].from[0].ipBlock.cidr', 'spec.ingress[0].from[1].ipBlock.cidr']],
  ['ingress from an IPv4 /7 and an IPv6 /15', all({ ingress: [{ from: [{ ipBlock: { cidr: '8.0.0.0/7' } }, { ipBlock: { cidr: '2000::/15' } }] }] }),
    ['spec.ingress[0].from[0].ipBlock.cidr', 'spec.ingress[0].from[1].ipBlock.cidr']],
  ['egress: [{}]', all({ policyTypes: ['Egress'], egress: [{}] }), ['spec.egress[0]']],
  ['egress rules without policyTypes (the API server adds Egress)', all({ egress: [{ ports: tcp(443) }] }), ['spec.egress[0]']],
  ['egress to: []', all({ policyTypes: ['Egress'], egress: [{ to: [] }] }), ['spec.egress[0].to']],
  ['egress to every pod of every namespace', all({ policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {}, podSelector: {} }], ports: tcp(80) }] }),
    ['spec.egress[0].to[0].namespaceSelector']],
  ['both directions open', all({ policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] }), ['spec.ingress[0]', 'spec.egress[0]']],
  ['one open rule among closed ones', all({ ingress: [{ from: [fromNs('front')], ports: tcp(9080) }, { from: [{ namespaceSelector: {} }], ports: tcp(9080) }] }),
    ['spec.ingress[1].from[0].namespaceSelector']],
  ['an empty peer', all({ ingress: [{ from: [{}], ports: tcp(80) }] }), ['spec.ingress[0].from[0]']],
  ['the webhook port on every pod of the control-plane namespace', all({ ingress: [{ ports: tcp(15017) }] }, 'istio-system'), ['spec.ingress[0]']],
  ['the webhook port for "istiod" outside the control-plane namespace', netpol('w', { podSelector: ISTIOD, ingress: [{ ports: tcp(15017) }] }), ['spec.ingress[0]']],
  ['a webhook rule that also opens 15010', netpol('w', { podSelector: ISTIOD, ingress: [{ ports: tcp(15017, 15010) }] }, 'istio-system'), ['spec.ingress[0]']],
  ['the webhook port over UDP', netpol('w', { podSelector: ISTIOD, ingress: [{ ports: [{ protocol: 'UDP', port: 15017 }] }] }, 'istio-system'), ['spec.ingress[0]']],
  ['a range ending at the webhook port', netpol('w', { podSelector: ISTIOD, ingress: [{ ports: [{ port: 15000, endPort: 15017 }] }] }, 'istio-system'), ['spec.ingress[0]']],
  ['a gateway label without a Gateway object', netpol('e', { podSelector: { matchLabels: { istio: 'egressgateway' } }, ingress: [{ ports: tcp(8443) }] }, 'istio-system'),
    ['spec.ingress[0]']],
  ['a Gateway of another namespace', netpol('e', { podSelector: { matchLabels: { app: 'public-gw' } }, ingress: [{ ports: tcp(8443) }] }), ['spec.ingress[0]']],
  ['the gateway pods on every port', netpol('edge-ingress', { podSelector: GW, ingress: [{}] }, 'istio-system'), ['spec.ingress[0]']],
  ['the gateway pods on a port range', netpol('edge-ingress', { podSelector: GW, ingress: [{ ports: [{ port: 8000, endPort: 9000 }] }] }, 'istio-system'), ['spec.ingress[0]']],
  ['the gateway pods on every TCP port', netpol('edge-ingress', { podSelector: GW, ingress: [{ ports: [{ protocol: 'TCP' }] }] }, 'istio-system'), ['spec.ingress[0]']],
  ['every pod of the gateway\'s namespace', all({ ingress: [{ ports: tcp(8443) }] }, 'istio-system'), ['spec.ingress[0]']],
  ['part of the Gateway\'s labels only', netpol('s', { podSelector: { matchLabels: { tier: 'edge' } }, ingress: [{ ports: tcp(8443) }] }, 'edge-ns'), ['spec.ingress[0]']],
  ['a gateway policy with an empty peer', netpol('edge-ingress', { podSelector: GW, ingress: [{ from: [{}], ports: tcp(8443) }] }, 'istio-system'), ['spec.ingress[0].from[0]']],
  ['ambient: HBONE from everyone (a bare 15008 rule: ztunnel still authorizes, but the L4 layer is gone)',
    all({ ingress: [{ ports: tcp(15008) }] }, 'mall'), ['spec.ingress[0]']],
  ['ambient: the probe allowance widened to all of link-local and beyond', all({ ingress: [{ from: [{ ipBlock: { cidr: '128.0.0.0/1' } }] }] }, 'mall'),
    ['spec.ingress[0].from[0].ipBlock.cidr']],
];

describe('NET-DENY-001 default deny in every mesh namespace, no NetworkPolicy open to everyone (NETPOL-1, CP-1)', () => {
  test('metadata', () => {
    expect(rule.id).toBe('NET-DENY-001');
    expect(rule.practices).toEqual(['NETPOL-1', 'CP-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['networking.k8s.io/NetworkPolicy']);
    // The exceptions depend on the cluster (control-plane namespace, Gateways): defaultDenyAdmission(ctx) renders them.
    expect(rule.admission).toBeUndefined();
    expect(defaultDenyAdmission(ctx).message.startsWith('NET-DENY-001 (NETPOL-1, CP-1): ')).toBe(true);
  });

  describe('allow-all (check, per NetworkPolicy)', () => {
    test.each(GOOD)('passes: %s', (_name, object) => {
      expect(rule.check(object, ctx)).toEqual([]);
    });

    test.each(BAD)('fails: %s', (_name, object, paths) => {
      expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
    });

    test('messages say who is admitted, and on which ports', () => {
      const messages = (o: RuleObject) => rule.check(o, ctx).map((v) => v.message);
      expect(messages(BAD[1][1])).toEqual(['ingress rule 0 has no "from", so it opens every source (every pod of every namespace, and any address outside the cluster) on TCP 80']);
      expect(messages(BAD[3][1])).toEqual(['ingress rule 0: peer 0 selects every pod of every namespace (present and future) on TCP 9080']);
      expect(messages(BAD[7][1])).toEqual(['ingress rule 0: peer 0 admits 0.0.0.0/0, most of the internet on TCP 443']);
      expect(messages(BAD[11][1])[0]).toMatch(/^egress rule 0 has no "to", so it opens every destination .* on every port$/);
    });

    test.each([
      ['ingress: {}', all({ ingress: {} }), ['spec.ingress']],
      ['egress: "all"', all({ policyTypes: ['Egress'], egress: 'all' }), ['spec.egress']],
      ['from: "all"', all({ ingress: [{ from: 'all' }] }), ['spec.ingress[0].from']],
      ['a rule that is a string', all({ ingress: ['all'] }), ['spec.ingress[0]']],
      ['a peer that is a string', all({ ingress: [{ from: ['all'] }] }), ['spec.ingress[0].from[0]']],
      ['namespaceSelector: "all"', all({ ingress: [{ from: [{ namespaceSelector: 'all' }] }] }), ['spec.ingress[0].from[0].namespaceSelector']],
      ['an unknown selector operator', all({ ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Any' }] } }] }] }),
        ['spec.ingress[0].from[0].namespaceSelector']],
      ['cidr "any"', all({ ingress: [{ from: [{ ipBlock: { cidr: 'any' } }] }] }), ['spec.ingress[0].from[0].ipBlock.cidr']],
      ['ipBlock a string', all({ ingress: [{ from: [{ ipBlock: '0.0.0.0/0' }] }] }), ['spec.ingress[0].from[0].ipBlock']],
      ['spec a string', { ...all({}), spec: 'allow-all' }, ['spec']],
      ['policyTypes a string: both directions are checked', all({ policyTypes: 'Ingress', ingress: [{}] }), ['spec.ingress[0]']],
      ['wrong shapes are findings even in a gateway\'s rule', netpol('edge-ingress', { podSelector: GW, ingress: [{ from: ['x'], ports: tcp(8443) }] }, 'istio-system'),
        ['spec.ingress[0].from[0]']],
    ] as [string, RuleObject, string[]][])('wrong shape is a finding: %s', (_name, object, paths) => {
      expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
    });

    test.each([
      ['spec null', { ...all({}), spec: null }],
      ['ingress null', all({ ingress: null })],
      ['from null inside a rule of an egress-only policy', all({ policyTypes: ['Egress'], ingress: [{ from: null }] })],
      ['metadata null', { ...all({}), metadata: null }],
    ])('odd shape does not throw: %s', (_name, object) => {
      expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
      expect(() => rule.checkAll!(ruleContext([object as RuleObject]))).not.toThrow();
    });

    test('from: null reads as no from (everyone)', () => {
      expect(rule.check(all({ ingress: [{ from: null, ports: tcp(80) }] }), ctx).map((v) => v.path)).toEqual(['spec.ingress[0]']);
    });

    test('other kinds are ignored', () => {
      expect(rule.check({ ...all({ ingress: [{}] }), apiVersion: 'crd.projectcalico.org/v1' }, ctx)).toEqual([]);
      expect(rule.check({ ...all({ ingress: [{}] }), kind: 'GlobalNetworkPolicy' }, ctx)).toEqual([]);
    });

    test('the exceptions follow the context: another control-plane namespace, no Gateway', () => {
      const webhook = netpol('w', { podSelector: ISTIOD, ingress: [{ ports: tcp(15017) }] }, 'istiod-ns');
      expect(rule.check(webhook, ctx)).toHaveLength(1);
      expect(rule.check(webhook, ruleContext([], { controlPlaneNamespace: 'istiod-ns' }))).toEqual([]);
      expect(rule.check(GOOD[16][1], ruleContext([]))).toHaveLength(1);
    });

    test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and defaultDenyAdmission(ctx) agree: %s', (_name, object) => {
      expect(admits(defaultDenyAdmission(ctx), object)).toBe(rule.check(object, ctx).length === 0);
    });

    test('the admission form admits other kinds and, with no Gateway known, refuses the gateway\'s opening', () => {
      expect(admits(defaultDenyAdmission(ctx), namespace('shop'))).toBe(true);
      expect(admits(defaultDenyAdmission(ruleContext([])), GOOD[16][1])).toBe(false);
    });
  });

  describe('presence (checkAll): one finding per mesh namespace without default deny', () => {
    const DENY = all({ policyTypes: ['Ingress', 'Egress'] });
    const CP_DENY = all({ policyTypes: ['Ingress'] }, 'istio-system');
    const run = (objects: RuleObject[], overrides: Partial<RuleContext> = {}) =>
      rule.checkAll!(ruleContext(objects, overrides))
        .map((r) => ({ object: r.object?.metadata?.name, path: r.violation.path, message: r.violation.message }));
    const names = (objects: RuleObject[], overrides: Partial<RuleContext> = {}) => run(objects, overrides).map((r) => r.object);

    test('a mesh namespace with no NetworkPolicy at all: one finding, on the Namespace object', () => {
      expect(run([namespace('shop', { 'istio-injection': 'enabled' }), CP_DENY])).toEqual([{
        object: 'shop',
        path: '',
        message: 'namespace shop is part of the mesh but has no default-deny NetworkPolicy for ingress and egress (podSelector {}, policyTypes Ingress, Egress, no rules): '
          + 'every pod that no other policy selects accepts connections from every pod of the cluster and from outside it; '
          + 'every pod that no other policy selects can connect anywhere: other namespaces, the node and cloud metadata addresses, the internet',
      }]);
    });

    test.each([
      ['injection enabled', { 'istio-injection': 'enabled' }],
      ['a revision', { 'istio.io/rev': 'canary' }],
      ['ambient mode', { 'istio.io/dataplane-mode': 'ambient' }],
    ])('mesh namespaces: %s', (_name, labels) => {
      expect(names([namespace('shop', labels), CP_DENY])).toEqual(['shop']);
      expect(names([namespace('shop', labels), CP_DENY, DENY])).toEqual([]);
    });

    test.each([
      ['no labels', undefined],
      ['injection disabled', { 'istio-injection': 'disabled' }],
      ['an empty revision', { 'istio.io/rev': '' }],
    ])('namespaces outside the mesh are MESH-INJ\'s, not this rule\'s: %s', (_name, labels) => {
      expect(names([namespace('legacy', labels), CP_DENY])).toEqual([]);
    });

    test.each([
      ['one policy per direction', [all({ policyTypes: ['Ingress'] }), all({ policyTypes: ['Egress'] })], []],
      ['ingress deny without policyTypes (the API server\'s default) and an egress deny', [all({}), all({ policyTypes: ['Egress'] })], []],
      ['podSelector absent, empty matchLabels and matchExpressions', [netpol('d', { policyTypes: ['Ingress', 'Egress'] }),
        netpol('e', { podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: ['Egress'] })], []],
      ['ingress only: egress missing', [all({ policyTypes: ['Ingress'] })], ['egress']],
      ['egress rules without Egress in policyTypes is not an egress deny', [all({ egress: [] })], ['egress']],
      ['the default deny given rules', [all({ policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [fromNs('front')] }] })], ['ingress']],
      ['the default deny given ingress: [{}]', [all({ policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] })], ['ingress and egress']],
      ['a deny that selects some pods only', [netpol('d', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] })], ['ingress and egress']],
      ['a deny in another namespace', [all({ policyTypes: ['Ingress', 'Egress'] }, 'front')], ['ingress and egress']],
      ['a deny of another kind', [{ ...DENY, apiVersion: 'crd.projectcalico.org/v1' }], ['ingress and egress']],
    ] as [string, RuleObject[], string[]][])('%s', (_name, policies, missing) => {
      const found = run([namespace('shop', { 'istio-injection': 'enabled' }), CP_DENY, ...policies]);
      expect(found.map((r) => /for (.*) \(podSelector/.exec(r.message)?.[1])).toEqual(missing);
    });

    test('the control-plane namespace needs the ingress half (as MeshBaseline writes it), on its Namespace object when present', () => {
      expect(run([])).toEqual([{
        object: undefined,
        path: '',
        message: 'the control-plane namespace istio-system has no default-deny ingress NetworkPolicy (podSelector {}, policyTypes Ingress, no rules): '
          + 'every pod that no other policy selects accepts connections from every pod of the cluster and from outside it, istiod included if its own policy is removed',
      }]);
      expect(names([namespace('istio-system')])).toEqual(['istio-system']);
      expect(names([namespace('istio-system', { 'istio-injection': 'enabled' }), CP_DENY])).toEqual([]);
      expect(names([CP_DENY])).toEqual([]);
      expect(names([all({ policyTypes: ['Ingress'] }, 'istio-cp')], { controlPlaneNamespace: 'istio-cp' })).toEqual([]);
      expect(names([CP_DENY], { controlPlaneNamespace: 'istio-cp' })).toEqual([undefined]);
    });

    test('the first Namespace object of a name is the one checked', () => {
      expect(names([namespace('shop', { 'istio-injection': 'enabled' }), namespace('shop'), CP_DENY])).toEqual(['shop']);
    });

    test('isDefaultDeny reads directions as the API server defaults them', () => {
      expect(isDefaultDeny(all({}), 'ingress')).toBe(true);
      expect(isDefaultDeny(all({}), 'egress')).toBe(false);
      expect(isDefaultDeny(all({ policyTypes: ['Egress'] }), 'ingress')).toBe(false);
      expect(isDefaultDeny(all({ policyTypes: ['Egress'], egress: null }), 'egress')).toBe(true);
      expect(isDefaultDeny(netpol('p', { podSelector: 'all', policyTypes: ['Ingress'] }), 'ingress')).toBe(false);
      expect(isDefaultDeny(namespace('x'), 'ingress')).toBe(false);
    });
  });

  describe('what the library synthesizes passes', () => {
    test.each(libraryApps().map((a) => [a.name, a] as const))('%s', (_name, app) => {
      expect(app.objects.flatMap((o) => rule.check(o, app.ctx).map((v) => `${o.metadata?.namespace}/${o.metadata?.name} ${v.path}`))).toEqual([]);
      expect(rule.checkAll!(app.ctx)).toEqual([]);
      const admission = defaultDenyAdmission(app.ctx);
      expect(app.objects.filter((o) => !admits(admission, o)).map((o) => o.metadata?.name)).toEqual([]);
    });
  });

  describe('every route to an open namespace is reported in the final YAML', () => {
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      new HardenedNamespace(chart, 'shop', { name: 'shop' });
      return chart;
    }
    const policy = (chart: Chart, name: string, ns = 'shop') => chart.node.findAll()
      .find((c) => c instanceof ApiObject && c.kind === 'NetworkPolicy' && c.metadata.name === name && c.metadata.namespace === ns) as ApiObject;
    const findings = (objects: RuleObject[]) => {
      const c = ruleContext(objects);
      return [
        ...objects.flatMap((o) => rule.check(o, c).map((v) => `${o.metadata?.namespace}/${o.metadata?.name} ${v.path}`)),
        ...rule.checkAll!(c).map((r) => `${r.object?.metadata?.name ?? '<mesh>'}: ${/for (.*) \(podSelector/.exec(r.violation.message)?.[1] ?? r.violation.message.slice(0, 40)}`),
      ];
    };

    test('JSON patch: rules added to default-deny (allow-all through ingress: [{}])', () => {
      const chart = app();
      policy(chart, 'default-deny').addJsonPatch(JsonPatch.add('/spec/ingress', [{}]));
      expect(findings(synthBreaking(chart, 'NET-DENY-001'))).toEqual(['shop/default-deny spec.ingress[0]', 'shop: ingress']);
    });

    test('JSON patch: default-deny narrowed to some pods, or its Egress type removed', () => {
      const narrowed = app();
      policy(narrowed, 'default-deny').addJsonPatch(JsonPatch.replace('/spec/podSelector', { matchLabels: { app: 'web' } }));
      expect(findings(synthBreaking(narrowed, 'NET-DENY-001'))).toEqual(['shop: ingress and egress']);
      const ingressOnly = app();
      policy(ingressOnly, 'default-deny').addJsonPatch(JsonPatch.remove('/spec/policyTypes/1'));
      expect(findings(synthBreaking(ingressOnly, 'NET-DENY-001'))).toEqual(['shop: egress']);
    });

    test('JSON patch: the allow-dns policy opened to every namespace', () => {
      const chart = app();
      policy(chart, 'allow-dns').addJsonPatch(JsonPatch.replace('/spec/egress/0/to/0', { namespaceSelector: {} }));
      expect(findings(synthBreaking(chart, 'NET-DENY-001'))).toEqual(['shop/allow-dns spec.egress[0].to[0].namespaceSelector']);
    });

    test('JSON patch: istiod\'s policy opened to every namespace; the control plane\'s default deny lost', () => {
      const chart = app();
      policy(chart, 'istiod-ingress', 'istio-system').addJsonPatch(JsonPatch.add('/spec/ingress/-', { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 15010 }] }));
      policy(chart, 'default-deny-ingress', 'istio-system').addJsonPatch(JsonPatch.replace('/spec/podSelector', { matchLabels: { app: 'none' } }));
      // The lost default deny is a <mesh> finding (no object to scope an exception to): synthesis fails on both.
      expect(() => Testing.synth(chart)).toThrow(/NET-DENY-001 \(NETPOL-1, CP-1\): \[test\/mesh\/IstiodIngress\] NetworkPolicy\/istio-system\/istiod-ingress spec\.ingress\[2\]\.from\[0\]\.namespaceSelector/);
      expect(() => Testing.synth(chart)).toThrow(/NET-DENY-001 \(NETPOL-1, CP-1\): <mesh>: the control-plane namespace istio-system has no default-deny ingress NetworkPolicy/);
    });

    test('a raw ApiObject next to the library\'s', () => {
      const chart = app();
      new ApiObject(chart, 'open', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'open', namespace: 'shop' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] } });
      expect(findings(synthBreaking(chart, 'NET-DENY-001'))).toEqual(['shop/open spec.ingress[0]']);
    });

    test('a cdk8s-plus NetworkPolicy with a default-allow', () => {
      const chart = app();
      new kplus.NetworkPolicy(chart, 'plus', { metadata: { name: 'plus', namespace: 'shop' }, ingress: { default: kplus.NetworkPolicyTrafficDefault.ALLOW } });
      new kplus.NetworkPolicy(chart, 'plus-egress', { metadata: { name: 'plus-egress', namespace: 'shop' }, egress: { default: kplus.NetworkPolicyTrafficDefault.ALLOW } });
      expect(findings(synthBreaking(chart, 'NET-DENY-001'))).toEqual(['shop/plus spec.ingress[0]', 'shop/plus-egress spec.egress[0]']);
    });

    test('a cdk8s-plus isolation (default DENY) is a default deny', () => {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      new kplus.Namespace(chart, 'ns', { metadata: { name: 'team', labels: { 'istio-injection': 'enabled' } } });
      const before = findings(synthBreaking(chart, 'NET-DENY-001'));
      expect(before).toEqual(['team: ingress and egress']);
      new kplus.NetworkPolicy(chart, 'deny', {
        metadata: { name: 'deny', namespace: 'team' },
        ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
        egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      });
      expect(findings(Testing.synth(chart))).toEqual([]);
    });
  });
});

/*
 * The external corpus has no labelled NetworkPolicy resources (neither Gatekeeper's nor Kyverno's
 * samples cover default deny or 0.0.0.0/0). Its real application, Online Boutique in the Anthos
 * Service Mesh samples, ships a "deny-all" default deny for its mesh namespace and, per service,
 * ingress from named pods and `egress: [{}]`; the frontend also takes `ingress: [{}]`.
 */
describeWithShared('external-corpus/apps/asm-boutique-ns', 'the external corpus: Online Boutique\'s NetworkPolicies', (dir) => {
  const files = ['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'deny-all', 'emailservice', 'frontend', 'loadgenerator',
    'paymentservice', 'productcatalogservice', 'recommendationservice', 'redis', 'shippingservice'].map((s) => `network-policy-${s}.yaml`);
  const policies = loadYaml(dir, files);
  const ns = loadYaml(`${dir}/../asm-boutique-authz`, ['namespace.yaml']);
  const ctxOf = (objects: RuleObject[]) => ruleContext(objects);

  test('the corpus is what the test expects: 13 policies in onlineboutique, a mesh namespace', () => {
    expect(policies.map((p) => `${p.kind}/${p.metadata?.namespace}`)).toEqual(files.map(() => 'NetworkPolicy/onlineboutique'));
    expect(ns[0].metadata?.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  test('their deny-all is a default deny for both directions: the mesh namespace passes presence', () => {
    const found = rule.checkAll!(ctxOf([...ns, ...policies])).filter((r) => r.object !== undefined);
    expect(found).toEqual([]);
    const without = rule.checkAll!(ctxOf([...ns, ...policies.filter((p) => p.metadata?.name !== 'deny-all')])).filter((r) => r.object !== undefined);
    expect(without.map((r) => r.object?.metadata?.name)).toEqual(['onlineboutique']);
  });

  test('deny-all and the named-pod ingress rules pass; every `{}` rule is an allow-all (stricter than the authors: NETPOL-1)', () => {
    const c = ctxOf([...ns, ...policies]);
    const found = Object.fromEntries(policies.map((p) => [p.metadata?.name, rule.check(p, c).map((v) => v.path)]));
    expect(found['deny-all']).toEqual([]);
    // Their public entry point takes everything in; in this library the public edge is the IngressGateway.
    expect(found.frontend).toEqual(['spec.ingress[0]', 'spec.egress[0]']);
    for (const name of Object.keys(found).filter((n) => n !== 'deny-all' && n !== 'frontend')) expect([name, found[name]]).toEqual([name, ['spec.egress[0]']]);
  });

  test('check() and defaultDenyAdmission(ctx) agree on every policy', () => {
    const c = ctxOf([...ns, ...policies]);
    const admission = defaultDenyAdmission(c);
    for (const p of policies) expect([p.metadata?.name, admits(admission, p)]).toEqual([p.metadata?.name, rule.check(p, c).length === 0]);
  });
});
