import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { fromNs, libraryApps, namespace, netpol, tcp } from './network-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_AMBIENT_001 as rule, cidrContains } from '../../../src/policy/rules/network-ambient-probes';

const AMBIENT = namespace('mall', { 'istio.io/dataplane-mode': 'ambient' });
const DENY = netpol('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'mall');
const PROBES = netpol('allow-kubelet-probes', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }] }, 'mall');

type Container = { [key: string]: any };
const http = (port: number | string, path = '/ready') => ({ httpGet: { path, port } });
const app = (probes: Container = { readinessProbe: http(8080) }, extra: Container = {}): Container => ({
  name: 'app', image: 'app', ports: [{ name: 'http', containerPort: 8080 }, { name: 'health', containerPort: 8081 }], ...probes, ...extra,
});
function deployment(containers: Container[] = [app()], labels: { [key: string]: string } = { app: 'cart' }, spec: object = {}, ns = 'mall'): RuleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cart', namespace: ns },
    spec: { selector: { matchLabels: { app: 'cart' } }, template: { metadata: { labels }, spec: { containers, ...spec } } },
  };
}
const run = (...objects: RuleObject[]) => rule.checkAll!(ruleContext(objects))
  .map((r) => ({ object: r.object?.metadata?.name, path: r.violation.path, port: r.violation.port }));
const ingressFrom = (name: string, rules: object[], podSelector: object = {}) => netpol(name, { podSelector, policyTypes: ['Ingress'], ingress: rules }, 'mall');

const GOOD: [string, RuleObject[]][] = [
  ['a namespace-wide probe allowance beside the default deny', [AMBIENT, DENY, PROBES, deployment()]],
  ['the probe address admitted on the probe port', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: tcp(8080) }]), deployment()]],
  ['a wider link-local block, a port range', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.0.0/16' } }], ports: [{ protocol: 'TCP', port: 8000, endPort: 8090 }] }]), deployment()]],
  ['the container port\'s name in the NetworkPolicy', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: [{ port: 'http' }] }]), deployment()]],
  ['a named probe port admitted by number', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: tcp(8081) }]),
    deployment([app({ livenessProbe: http('health') })])]],
  ['a rule open to every source (NET-DENY-001\'s to judge)', [AMBIENT, DENY, ingressFrom('p', [{ ports: tcp(8080) }]), deployment()]],
  ['a policy selecting the pods by label', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }], { matchLabels: { app: 'cart' } }), deployment()]],
  ['exec probes do not use the network', [AMBIENT, DENY, deployment([app({ livenessProbe: { exec: { command: ['true'] } } })])]],
  ['no probes', [AMBIENT, DENY, deployment([app({})])]],
  ['pods no NetworkPolicy isolates', [AMBIENT, deployment()]],
  ['an egress-only default deny does not isolate ingress', [AMBIENT, netpol('deny-egress', { podSelector: {}, policyTypes: ['Egress'] }, 'mall'), deployment()]],
  ['a sidecar namespace (probes come from the node, rewritten by the sidecar)', [namespace('mall', { 'istio-injection': 'enabled' }), DENY, deployment()]],
  ['ambient and injection labels: sidecars win', [namespace('mall', { 'istio-injection': 'enabled', 'istio.io/dataplane-mode': 'ambient' }), DENY, deployment()]],
  ['a pod opted out of ambient', [AMBIENT, DENY, deployment([app()], { 'app': 'cart', 'istio.io/dataplane-mode': 'none' })]],
  ['a sidecar pod in an ambient namespace', [AMBIENT, DENY, deployment([app()], { 'app': 'cart', 'sidecar.istio.io/inject': 'true' })]],
  ['a host-network pod', [AMBIENT, DENY, deployment([app()], { app: 'cart' }, { hostNetwork: true })]],
  ['a namespace whose Namespace object is not in the set', [DENY, deployment()]],
  ['a namespace outside the mesh', [namespace('mall', {}), DENY, deployment()]],
];

const BAD: [string, RuleObject[], { path: string; port?: number }[]][] = [
  ['a default deny without the probe allowance', [AMBIENT, DENY, deployment()], [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['the probe address admitted on another port only', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: tcp(9090) }]), deployment()],
    [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['the port admitted from pods, not from the probe address', [AMBIENT, DENY, ingressFrom('p', [{ from: [fromNs('mall')], ports: tcp(8080, 15008) }]), deployment()],
    [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['an ipBlock that excepts the probe address', [AMBIENT, DENY,
    ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.0.0/16', except: ['169.254.7.0/24'] } }] }]), deployment()],
  [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['another link-local address (the cloud metadata server\'s)', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.169.254/32' } }] }]), deployment()],
    [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['the allowance selecting other pods', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }], { matchLabels: { app: 'other' } }), deployment()],
    [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['UDP only', [AMBIENT, DENY, ingressFrom('p', [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: [{ protocol: 'UDP', port: 8080 }] }]), deployment()],
    [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['one finding per container and port, at the first probe; tcpSocket and gRPC probes too', [AMBIENT, DENY, deployment([
    app({ startupProbe: http(8080), readinessProbe: http('http'), livenessProbe: { tcpSocket: { port: 8081 } } }),
    { name: 'grpc', image: 'g', readinessProbe: { grpc: { port: 9000 } } },
  ])], [
    { path: 'spec.template.spec.containers[0].startupProbe', port: 8080 },
    { path: 'spec.template.spec.containers[0].livenessProbe', port: 8081 },
    { path: 'spec.template.spec.containers[1].readinessProbe', port: 9000 },
  ]],
  ['a pod enrolled by its own label in a namespace without one', [namespace('mall', {}), DENY, deployment([app()], { 'app': 'cart', 'istio.io/dataplane-mode': 'ambient' })],
    [{ path: 'spec.template.spec.containers[0].readinessProbe', port: 8080 }]],
  ['an unresolvable named probe port (no port on the finding)', [AMBIENT, DENY, deployment([app({ readinessProbe: http('metrics') })])],
    [{ path: 'spec.template.spec.containers[0].readinessProbe' }]],
];

describe('NET-AMBIENT-001 kubelet probes reach ambient pods through their NetworkPolicies (NETPOL-1)', () => {
  test('metadata: rule set 2, checkAll only, no admission (it needs the namespace and its NetworkPolicies)', () => {
    expect(rule.id).toBe('NET-AMBIENT-001');
    expect(rule.practices).toEqual(['NETPOL-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual([]);
    expect(rule.admission).toBeUndefined();
    expect(rule.admissionFor).toBeUndefined();
    expect(rule.check(deployment(), ruleContext([AMBIENT, DENY, deployment()]))).toEqual([]);
  });

  test.each(GOOD)('passes: %s', (_name, objects) => {
    expect(run(...objects)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, objects, expected) => {
    expect(run(...objects)).toEqual(expected.map((e) => ({ object: 'cart', path: e.path, port: e.port })));
  });

  test('the message names the probes, the port, the address and the consequence', () => {
    const [finding] = rule.checkAll!(ruleContext([AMBIENT, DENY, deployment([app({ readinessProbe: http(8080), livenessProbe: http(8080, '/live') })])]));
    expect(finding.violation.message).toBe('the readinessProbe and livenessProbe of container "app" (TCP 8080 ("http")) reach the pod from 169.254.7.127 '
      + '(the kubelet\'s probes, SNATed by Istio in ambient namespace "mall"), but no NetworkPolicy selecting the pods of Deployment cart admits '
      + 'ipBlock 169.254.7.127/32 on that port: the probes fail, and the pods never get ready (or are restarted)');
  });

  test('bare Pods, StatefulSets and CronJobs are read where their pods are', () => {
    const probed = { containers: [app()] };
    const pod: RuleObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'mall', labels: { app: 'p' } }, spec: probed };
    const sts: RuleObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'mall' }, spec: { template: { metadata: { labels: { app: 's' } }, spec: probed } } };
    const cron: RuleObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'mall' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { metadata: { labels: { app: 'c' } }, spec: probed } } } },
    };
    expect(rule.checkAll!(ruleContext([AMBIENT, DENY, pod, sts, cron])).map((r) => [r.object?.kind, r.violation.path])).toEqual([
      ['Pod', 'spec.containers[0].readinessProbe'],
      ['StatefulSet', 'spec.template.spec.containers[0].readinessProbe'],
      ['CronJob', 'spec.jobTemplate.spec.template.spec.containers[0].readinessProbe'],
    ]);
  });

  test('cidrContains: IPv4 blocks only', () => {
    expect(cidrContains('169.254.7.127/32', '169.254.7.127')).toBe(true);
    expect(cidrContains('169.254.0.0/16', '169.254.7.127')).toBe(true);
    expect(cidrContains('0.0.0.0/0', '169.254.7.127')).toBe(true);
    expect(cidrContains('169.254.7.128/25', '169.254.7.127')).toBe(false);
    expect(cidrContains('169.254.7.126/32', '169.254.7.127')).toBe(false);
    expect(cidrContains('::/0', '169.254.7.127')).toBe(false);
    expect(cidrContains('169.254.7.127/33', '169.254.7.127')).toBe(false);
    expect(cidrContains('169.254.7.300/32', '169.254.7.127')).toBe(false);
    expect(cidrContains(7, '169.254.7.127')).toBe(false);
  });

  test('odd shapes do not throw', () => {
    expect(() => run(AMBIENT, DENY,
      deployment([app({ readinessProbe: 'x' }), null as any, app({ livenessProbe: { httpGet: 'x' } }), app({ readinessProbe: { tcpSocket: { port: null } } })]),
      deployment('x' as any), { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { namespace: 'mall' }, spec: { template: null } },
      ingressFrom('odd', ['x' as any, { from: 'x', ports: 'x' }, { from: [{ ipBlock: 'x' }, { ipBlock: { cidr: '169.254.7.127/32', except: 'x' } }] }]),
      netpol('odd2', { podSelector: 'x', ingress: 'x' }, 'mall'))).not.toThrow();
  });

  describe('what the library synthesizes passes (sidecar namespaces: none is ambient)', () => {
    test.each(libraryApps().map((a) => [a.name, a] as const))('%s', (_name, a) => {
      expect(rule.checkAll!(a.ctx)).toEqual([]);
    });
  });

  describe('in synthesis', () => {
    test('a raw ambient Namespace and Deployment with a default deny fail synthesis naming the rule', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      for (const o of [AMBIENT, DENY, deployment()]) new ApiObject(chart, `${o.kind}-${o.metadata!.name}`, o as any);
      expect(() => Testing.synth(chart)).toThrow(/NET-AMBIENT-001 \(NETPOL-1\)/);
    });

    test('a JSON patch dropping the probe allowance of a raw setup fails synthesis', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      for (const o of [AMBIENT, DENY, deployment()]) new ApiObject(chart, `${o.kind}-${o.metadata!.name}`, o as any);
      const probes = new ApiObject(chart, 'probes', PROBES as any);
      probes.addJsonPatch(JsonPatch.replace('/spec/ingress/0/from/0/ipBlock/cidr', '169.254.7.126/32'));
      expect(() => Testing.synth(chart)).toThrow(/NET-AMBIENT-001 \(NETPOL-1\)/);
    });
  });
});
