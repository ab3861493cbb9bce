import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { fromNs, libraryApps, netpol, synthBreaking, tcp } from './network-fixtures';
import { MeshBaseline, MeshBaselineProps } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_CP_001 as rule, controlPlaneAdmission, mayselectIstiod } from '../../../src/policy/rules/network-control-plane';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';

const ctx = ruleContext([]);
const ISTIOD = { matchLabels: { app: 'istiod' } };
const MESH = { namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } };
const OWN = { podSelector: {} };
const istiod = (ingress: unknown, podSelector: object = ISTIOD, ns = 'istio-system', extra: object = {}) =>
  netpol('istiod-ingress', { podSelector, policyTypes: ['Ingress'], ingress, ...extra }, ns);

const GOOD: [string, RuleObject][] = [
  ['MeshBaseline defaults: 15012 from mesh namespaces and the namespace itself, 15017 from anywhere', istiod([{ from: [MESH, OWN], ports: tcp(15012) }, { ports: tcp(15017) }])],
  ['apiServerCidrs and monitoringNamespace', istiod([
    { from: [MESH, OWN], ports: tcp(15012) },
    { from: [{ ipBlock: { cidr: '172.16.0.2/32' } }], ports: tcp(15017) },
    { from: [fromNs('monitoring')], ports: tcp(15014) },
  ])],
  ['a revision', istiod([{ from: [{ namespaceSelector: { matchLabels: { 'istio.io/rev': 'canary' } } }, OWN], ports: tcp(15012) }],
    { matchLabels: { 'app': 'istiod', 'istio.io/rev': 'canary' } })],
  ['ambient namespaces', istiod([{ from: [{ namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } }], ports: tcp(15012) }])],
  ['mesh namespaces narrowed by more labels', istiod([{
    from: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled', 'team': 'a' }, matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }, podSelector: { matchLabels: { app: 'a' } } }],
    ports: tcp(15012),
  }])],
  ['15012 from the control-plane namespace by name', istiod([{ from: [fromNs('istio-system', { istio: 'ingressgateway' })], ports: tcp(15012) }])],
  ['15014 from Prometheus in the control-plane namespace', istiod([{ from: [{ podSelector: { matchLabels: { app: 'prometheus' } } }], ports: tcp(15014) }])],
  ['15014 from two namespaces named one by one', istiod([{ from: [fromNs('monitoring'), fromNs('observability', { app: 'otel' })], ports: tcp(15014) }])],
  ['15012 and 15017 in one rule from mesh namespaces', istiod([{ from: [MESH], ports: [...tcp(15012), { port: 15017, endPort: 15017 }] }])],
  ['the control-plane default deny (no rules)', netpol('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }, 'istio-system')],
  ['the gateways of the control-plane namespace (istio: contradicts pilot)', istiod([{ ports: tcp(8443, 8080) }], { matchLabels: { istio: 'ingressgateway' } })],
  ['another app of the namespace (app contradicts istiod)', istiod([{ ports: tcp(20001) }], { matchLabels: { app: 'kiali' } })],
  ['a selector that excludes istiod', istiod([{ ports: tcp(9090) }], { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['istiod'] }] })],
  ['a selector requiring no istio label', istiod([{ ports: tcp(9090) }], { matchExpressions: [{ key: 'istio', operator: 'DoesNotExist' }] })],
  ['an istiod outside the control-plane namespace is not this rule\'s', istiod([{ ports: tcp(15010) }], ISTIOD, 'shop')],
  ['egress rules of istiod', netpol('istiod-egress', { podSelector: ISTIOD, policyTypes: ['Egress'], egress: [{}], ingress: [{}] }, 'istio-system')],
  ['no spec', netpol('p', undefined, 'istio-system')],
];

const BAD: [string, RuleObject, [string, number | undefined][]][] = [
  ['15010 (plaintext xDS) from mesh namespaces', istiod([{ from: [MESH], ports: tcp(15010) }]), [['spec.ingress[0].ports[0]', 15010]]],
  ['8080 (debug) from the monitoring namespace', istiod([{ from: [fromNs('monitoring')], ports: tcp(8080) }]), [['spec.ingress[0].ports[0]', 8080]]],
  ['another port', istiod([{ from: [MESH], ports: tcp(15012, 15020) }]), [['spec.ingress[0].ports[1]', 15020]]],
  ['a rule without ports', istiod([{ from: [MESH] }]), [['spec.ingress[0]', undefined]]],
  ['ports: []', istiod([{ from: [MESH], ports: [] }]), [['spec.ingress[0]', undefined]]],
  ['ingress: [{}]', istiod([{}]), [['spec.ingress[0]', undefined]]],
  ['15012 from every source', istiod([{ ports: tcp(15012) }]), [['spec.ingress[0]', 15012]]],
  ['15012 from: []', istiod([{ from: [], ports: tcp(15012) }]), [['spec.ingress[0].from', 15012]]],
  ['15012 from every namespace', istiod([{ from: [{ namespaceSelector: {} }], ports: tcp(15012) }]), [['spec.ingress[0].from[0]', 15012]]],
  ['15012 from a namespace outside the mesh', istiod([{ from: [MESH, fromNs('legacy')], ports: tcp(15012) }]), [['spec.ingress[0].from[1]', 15012]]],
  ['15012 from addresses', istiod([{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: tcp(15012) }]), [['spec.ingress[0].from[0]', 15012]]],
  ['15012 from namespaces with injection disabled', istiod([{ from: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'disabled' } } }], ports: tcp(15012) }]),
    [['spec.ingress[0].from[0]', 15012]]],
  ['15012 from namespaces with an empty revision', istiod([{ from: [{ namespaceSelector: { matchLabels: { 'istio.io/rev': '' } } }], ports: tcp(15012) }]),
    [['spec.ingress[0].from[0]', 15012]]],
  ['15012 from an empty peer', istiod([{ from: [{}], ports: tcp(15012) }]), [['spec.ingress[0].from[0]', 15012]]],
  ['15014 from every mesh namespace', istiod([{ from: [MESH], ports: tcp(15014) }]), [['spec.ingress[0].from[0]', 15014]]],
  ['15014 from every source', istiod([{ ports: tcp(15014) }]), [['spec.ingress[0]', 15014]]],
  ['15014 from addresses', istiod([{ from: [{ ipBlock: { cidr: '10.1.2.3/32' } }], ports: tcp(15014) }]), [['spec.ingress[0].from[0]', 15014]]],
  ['15012 and 15014 in one rule from mesh namespaces: 15014 is too wide', istiod([{ from: [MESH], ports: tcp(15012, 15014) }]), [['spec.ingress[0].from[0]', 15014]]],
  ['a port range', istiod([{ from: [MESH], ports: [{ protocol: 'TCP', port: 15000, endPort: 15020 }] }]), [['spec.ingress[0].ports[0]', 15000]]],
  ['a named port', istiod([{ from: [MESH], ports: [{ protocol: 'TCP', port: 'grpc-xds' }] }]), [['spec.ingress[0].ports[0]', undefined]]],
  ['UDP', istiod([{ from: [MESH], ports: [{ protocol: 'UDP', port: 15012 }] }]), [['spec.ingress[0].ports[0]', 15012]]],
  ['every TCP port', istiod([{ from: [MESH], ports: [{ protocol: 'TCP' }] }]), [['spec.ingress[0].ports[0]', undefined]]],
  ['two bad ports', istiod([{ from: [MESH], ports: tcp(8080, 15010) }]), [['spec.ingress[0].ports[0]', 8080], ['spec.ingress[0].ports[1]', 15010]]],
  ['every pod of the namespace, istiod included', istiod([{ from: [MESH], ports: tcp(15010) }], {}), [['spec.ingress[0].ports[0]', 15010]]],
  ['no podSelector, no policyTypes (the API server defaults: all pods, Ingress)', netpol('p', { ingress: [{ ports: tcp(8080) }] }, 'istio-system'), [['spec.ingress[0].ports[0]', 8080]]],
  ['a label istiod may carry', istiod([{ ports: tcp(8080) }], { matchLabels: { 'app.kubernetes.io/name': 'istiod' } }), [['spec.ingress[0].ports[0]', 8080]]],
  ['a revision label only', istiod([{ ports: tcp(15010) }], { matchLabels: { 'istio.io/rev': 'canary' } }), [['spec.ingress[0].ports[0]', 15010]]],
  ['matchExpressions that include istiod', istiod([{ ports: tcp(15010) }], { matchExpressions: [{ key: 'app', operator: 'In', values: ['istiod', 'x'] }, { key: 'istio', operator: 'Exists' }] }),
    [['spec.ingress[0].ports[0]', 15010]]],
  ['a second policy opening 8080 next to MeshBaseline\'s', netpol('debug', { podSelector: { matchLabels: { istio: 'pilot' } }, ingress: [{ from: [fromNs('ops')], ports: tcp(8080) }] }, 'istio-system'),
    [['spec.ingress[0].ports[0]', 8080]]],
];

describe('NET-CP-001 NetworkPolicies selecting istiod open only what MeshBaseline opens (CP-1)', () => {
  test('metadata', () => {
    expect(rule.id).toBe('NET-CP-001');
    expect(rule.practices).toEqual(['CP-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['networking.k8s.io/NetworkPolicy']);
    expect(rule.checkAll).toBeUndefined();
    // The control-plane namespace is the cluster's setting: controlPlaneAdmission(ctx) inlines it.
    expect(rule.admission).toBeUndefined();
    expect(controlPlaneAdmission(ctx).message.startsWith('NET-CP-001 (CP-1): ')).toBe(true);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, expected) => {
    expect(rule.check(object, ctx).map((v) => [v.path, v.port])).toEqual(expected);
  });

  test('messages say what the port is and who may reach it', () => {
    const message = (o: RuleObject) => rule.check(o, ctx).map((v) => v.message);
    expect(message(BAD[0][1])).toEqual(['ingress rule 0 opens istiod\'s port 15010: plaintext xDS: anyone reaching it reads the configuration of the whole mesh, with no client identity']);
    expect(message(BAD[3][1])).toEqual(['ingress rule 0 lists no ports, so it opens every port of istiod (15010 plaintext xDS and 8080 debug included)']);
    expect(message(BAD[9][1])).toEqual(['ingress rule 0 admits the namespaces selected by {"matchLabels":{"kubernetes.io/metadata.name":"legacy"}} on istiod\'s port 15012; '
      + 'only mesh namespaces (and the control-plane namespace) may connect']);
    expect(message(BAD[15][1])).toEqual(['ingress rule 0 admits every source on istiod\'s port 15014; only namespaces named one by one may connect']);
  });

  test.each([
    ['ingress: {}', istiod({}), ['spec.ingress']],
    ['a rule that is a string', istiod(['all']), ['spec.ingress[0]']],
    ['ports: "all"', istiod([{ from: [MESH], ports: 'all' }]), ['spec.ingress[0].ports']],
    ['a port entry that is a string', istiod([{ from: [MESH], ports: ['15012'] }]), ['spec.ingress[0].ports[0]']],
    ['from: "all" on 15012', istiod([{ from: 'all', ports: tcp(15012) }]), ['spec.ingress[0].from']],
    ['a peer that is a string', istiod([{ from: ['mesh'], ports: tcp(15012) }]), ['spec.ingress[0].from[0]']],
    ['a malformed podSelector is read as selecting istiod', istiod([{}], 'istiod' as unknown as object), ['spec.ingress[0]']],
    ['malformed matchExpressions are read as selecting istiod', istiod([{}], { matchExpressions: 'app=istiod' }), ['spec.ingress[0]']],
  ] as [string, RuleObject, string[]][])('wrong shape is a finding: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each([
    ['spec null', { ...istiod([]), spec: null }],
    ['ingress null', istiod(null)],
    ['metadata null', { ...istiod([{}]), metadata: null }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...istiod([{}]), apiVersion: 'crd.projectcalico.org/v1' }, ctx)).toEqual([]);
  });

  test('the control-plane namespace comes from the context', () => {
    const other = ruleContext([], { controlPlaneNamespace: 'istio-cp' });
    expect(rule.check(BAD[0][1], other)).toEqual([]);
    expect(rule.check(istiod([{ from: [MESH], ports: tcp(15010) }], ISTIOD, 'istio-cp'), other)).toHaveLength(1);
    // 15012 from the control-plane namespace by name follows it too.
    expect(rule.check(GOOD[5][1], other)).toEqual([]);
    expect(rule.check(istiod([{ from: [fromNs('istio-system')], ports: tcp(15012) }], ISTIOD, 'istio-cp'), other).map((v) => v.path)).toEqual(['spec.ingress[0].from[0]']);
  });

  test('mayselectIstiod: what contradicts app: istiod / istio: pilot does not select istiod', () => {
    const sel = (podSelector: unknown) => mayselectIstiod(netpol('p', { podSelector }, 'istio-system'));
    expect(sel(undefined)).toBe(true);
    expect(sel({})).toBe(true);
    expect(sel({ matchLabels: { team: 'mesh' } })).toBe(true);
    expect(sel({ matchLabels: { app: 'istiod', istio: 'ingressgateway' } })).toBe(false);
    expect(sel({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] })).toBe(false);
    expect(sel({ matchLabels: { team: 'x' }, matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] })).toBe(false);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and controlPlaneAdmission(ctx) agree: %s', (_name, object) => {
    expect(admits(controlPlaneAdmission(ctx), object)).toBe(rule.check(object, ctx).length === 0);
  });

  describe('what the library synthesizes passes', () => {
    test.each(libraryApps().map((a) => [a.name, a] as const))('%s', (_name, app) => {
      expect(app.objects.flatMap((o) => rule.check(o, app.ctx).map((v) => `${o.metadata?.namespace}/${o.metadata?.name} ${v.path}`))).toEqual([]);
      const admission = controlPlaneAdmission(app.ctx);
      expect(app.objects.filter((o) => !admits(admission, o)).map((o) => o.metadata?.name)).toEqual([]);
    });
  });

  describe('istiod\'s policy opened beyond MeshBaseline, in the final YAML', () => {
    function app(props: MeshBaselineProps = {}) {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh', props);
      new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const policy = chart.node.findAll().find((c) => c instanceof ApiObject && c.metadata.name === 'istiod-ingress') as ApiObject;
      return { chart, policy };
    }
    const findings = (objects: RuleObject[]) => {
      const c = ruleContext(objects);
      return objects.flatMap((o) => rule.check(o, c).map((v) => `${o.metadata?.name} ${v.path} ${v.port}`));
    };

    test('the library\'s own output passes, with and without monitoringNamespace and apiServerCidrs', () => {
      expect(findings(Testing.synth(app().chart))).toEqual([]);
      expect(findings(Testing.synth(app({ monitoringNamespace: 'monitoring', apiServerCidrs: ['10.0.0.2/32'] }).chart))).toEqual([]);
    });

    test('JSON patch: 15010 added', () => {
      const { chart, policy } = app();
      policy.addJsonPatch(JsonPatch.add('/spec/ingress/0/ports/-', { protocol: 'TCP', port: 15010 }));
      expect(findings(synthBreaking(chart, 'NET-CP-001'))).toEqual(['istiod-ingress spec.ingress[0].ports[1] 15010']);
    });

    test('JSON patch: 8080 added to the webhook rule (open to any source)', () => {
      const { chart, policy } = app();
      policy.addJsonPatch(JsonPatch.add('/spec/ingress/1/ports/-', { protocol: 'TCP', port: 8080 }));
      expect(findings(synthBreaking(chart, 'NET-CP-001'))).toEqual(['istiod-ingress spec.ingress[1].ports[1] 8080']);
    });

    test('JSON patch: 15012 opened to every namespace', () => {
      const { chart, policy } = app();
      policy.addJsonPatch(JsonPatch.replace('/spec/ingress/0/from/0', { namespaceSelector: {} }));
      expect(findings(synthBreaking(chart, 'NET-CP-001'))).toEqual(['istiod-ingress spec.ingress[0].from[0] 15012']);
    });

    test('JSON patch: the monitoring rule widened to every mesh namespace', () => {
      const { chart, policy } = app({ monitoringNamespace: 'monitoring' });
      policy.addJsonPatch(JsonPatch.replace('/spec/ingress/2/from/0/namespaceSelector', { matchLabels: { 'istio-injection': 'enabled' } }));
      expect(findings(synthBreaking(chart, 'NET-CP-001'))).toEqual(['istiod-ingress spec.ingress[2].from[0] 15014']);
    });

    test('JSON patch: the ports of the xDS rule removed', () => {
      const { chart, policy } = app();
      policy.addJsonPatch(JsonPatch.remove('/spec/ingress/0/ports'));
      expect(findings(synthBreaking(chart, 'NET-CP-001'))).toEqual(['istiod-ingress spec.ingress[0] undefined']);
    });

    test('a raw ApiObject for the whole control-plane namespace', () => {
      const { chart } = app();
      new ApiObject(chart, 'debug', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'debug', namespace: 'istio-system' },
        spec: { podSelector: {}, ingress: [{ from: [fromNs('ops')], ports: tcp(8080) }] },
      });
      expect(findings(synthBreaking(chart, 'NET-CP-001'))).toEqual(['debug spec.ingress[0].ports[0] 8080']);
    });
  });
});
