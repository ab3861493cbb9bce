import { Testing } from 'cdk8s';
import {
  AMBIENT_NS, describeAmbientTable, admitsIn, checkIn, corpus, findingsOver, flipToAmbient,
  sidecarBlueprint, sidecarOutputRelabelledAmbient, sidecarShop,
} from './ambient-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { RuleSeverity, RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AMBIENT_003 as rule, isSidecarOnlyAnnotation } from '../../../src/policy/rules/mesh-ambient-003';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };

const EXCLUDE_INBOUND = 'traffic.sidecar.istio.io/excludeInboundPorts';
const INJECT = 'sidecar.istio.io/inject';
const PROXY_CONFIG = 'proxy.istio.io/config';
const GATEWAY_NAME = 'gateway.networking.k8s.io/gateway-name';

function pod(meta: Meta = {}): RuleObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', ...meta }, spec: { containers: [{ name: 'a', image: 'a' }] } };
}
function workload(apiVersion: string, kind: string, template: Meta = {}, own: Meta = {}): RuleObject {
  return { apiVersion, kind, metadata: { name: 'w', namespace: 'shop', ...own }, spec: { template: { metadata: template, spec: { containers: [] } } } };
}
function cronJob(template: Meta = {}): RuleObject {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'shop' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { metadata: template } } } } };
}
function sidecar(spec?: object): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'shop' }, ...(spec === undefined ? {} : { spec }) };
}

const WORKLOADS: [string, string][] = [
  ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'ReplicaSet'], ['batch/v1', 'Job'], ['v1', 'ReplicationController'],
];

const GOOD: [string, RuleObject][] = [
  ['plain pod', pod()],
  ['unrelated annotations', pod({ annotations: { 'prometheus.io/scrape': 'true', 'example.com/sidecar.istio.io/x': 'y', 'istio.io/rev': 'default' } })],
  ['inert but neither restriction nor exception: status.sidecar.istio.io/port, inject.istio.io/templates', pod({
    annotations: { 'status.sidecar.istio.io/port': '15020', 'readiness.status.sidecar.istio.io/periodSeconds': '5', 'inject.istio.io/templates': 'sidecar' },
  })],
  ['sidecar pod (label sidecar.istio.io/inject: "true") with sidecar annotations', pod({ labels: { [INJECT]: 'true' }, annotations: { [EXCLUDE_INBOUND]: '9000', [PROXY_CONFIG]: '{}' } })],
  ['injected pod (sidecar.istio.io/status, kube-inject output)', pod({ annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}', [EXCLUDE_INBOUND]: '15020' } })],
  ['waypoint pod template (gateway-name label)', workload('apps/v1', 'Deployment', {
    labels: { [INJECT]: 'false', 'istio.io/dataplane-mode': 'none', [GATEWAY_NAME]: 'waypoint' }, annotations: { 'sidecar.istio.io/logLevel': 'debug', [PROXY_CONFIG]: '{}' },
  })],
  ...WORKLOADS.map(([v, k]): [string, RuleObject] => [`${k} sidecar pod template`, workload(v, k, { labels: { [INJECT]: 'true' }, annotations: { 'sidecar.istio.io/proxyCPU': '100m' } })]),
  ['annotations on the workload itself (pods never see them)', workload('apps/v1', 'Deployment', {}, { annotations: { [INJECT]: 'false', [EXCLUDE_INBOUND]: '1' } })],
  ['a sidecar.istio.io/inject label is not an annotation (MESH-INJ-001 judges it)', pod({ labels: { [INJECT]: 'false' } })],
  ['Deployment without template metadata', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: {} } }],
  ['Deployment without spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' } }],
  ['CronJob without jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'shop' }, spec: {} }],
  ['CronJob sidecar pod template', cronJob({ labels: { [INJECT]: 'true' }, annotations: { [PROXY_CONFIG]: '{}' } })],
];

/** Each BAD case with the exact paths it must report. */
const BAD: [string, RuleObject, string[]][] = [
  ['namespace-wide Sidecar (REGISTRY_ONLY, egress hosts)', sidecar({ egress: [{ hosts: ['./*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }), ['']],
  ['Sidecar with a workloadSelector', sidecar({ workloadSelector: { labels: { app: 'api' } }, ingress: [{ port: { number: 9080 } }] }), ['']],
  ['empty Sidecar', sidecar(), ['']],
  ['pod excludeInboundPorts', pod({ annotations: { [EXCLUDE_INBOUND]: '9000' } }), [`metadata.annotations["${EXCLUDE_INBOUND}"]`]],
  ['pod inject "false" annotation (the pod stays in ambient)', pod({ annotations: { [INJECT]: 'false' } }), [`metadata.annotations["${INJECT}"]`]],
  ['pod inject "true" annotation alone (no injection without the label)', pod({ annotations: { [INJECT]: 'true' } }), [`metadata.annotations["${INJECT}"]`]],
  ['pod proxy.istio.io/config', pod({ annotations: { [PROXY_CONFIG]: 'holdApplicationUntilProxyStarts: true' } }), [`metadata.annotations["${PROXY_CONFIG}"]`]],
  ...WORKLOADS.map(([v, k]): [string, RuleObject, string[]] => [`${k} template excludeOutboundIPRanges`,
    workload(v, k, { annotations: { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' } }),
    ['spec.template.metadata.annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]']]),
  ['CronJob template includeOutboundIPRanges', cronJob({ annotations: { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8' } }),
    ['spec.jobTemplate.spec.template.metadata.annotations["traffic.sidecar.istio.io/includeOutboundIPRanges"]']],
  ['several annotations, in key order', pod({ annotations: { [PROXY_CONFIG]: '{}', 'prometheus.io/port': '9090', 'sidecar.istio.io/proxyCPU': '1', [EXCLUDE_INBOUND]: '1' } }),
    [`metadata.annotations["${PROXY_CONFIG}"]`, 'metadata.annotations["sidecar.istio.io/proxyCPU"]', `metadata.annotations["${EXCLUDE_INBOUND}"]`]],
  ['label sidecar.istio.io/inject "True" (the injector matches "true" only)', pod({ labels: { [INJECT]: 'True' }, annotations: { [EXCLUDE_INBOUND]: '1' } }),
    [`metadata.annotations["${EXCLUDE_INBOUND}"]`]],
  ['a pod opted out of ambient has no sidecar either', pod({ labels: { 'istio.io/dataplane-mode': 'none' }, annotations: { [EXCLUDE_INBOUND]: '1' } }),
    [`metadata.annotations["${EXCLUDE_INBOUND}"]`]],
];

describe('MESH-AMBIENT-003 ambient namespaces carry no sidecar-only configuration (EXC-1, EGRESS-1, OPS-1)', () => {
  test('metadata: a warning', () => {
    expect(rule.practices).toEqual(['EXC-1', 'EGRESS-1', 'OPS-1']);
    expect(rule.severity).toBe(RuleSeverity.WARNING);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toContain('networking.istio.io/Sidecar');
    expect(rule.kinds).toContain('apps/Deployment');
    expect(rule.kinds).toContain('batch/CronJob');
  });

  test.each([
    ['sidecar.istio.io/inject', true], ['sidecar.istio.io/proxyCPU', true], ['traffic.sidecar.istio.io/excludeInboundPorts', true], ['proxy.istio.io/config', true],
    ['proxy.istio.io/overrides', false], ['status.sidecar.istio.io/port', false], ['inject.istio.io/templates', false], ['istio.io/rev', false],
  ])('sidecar-only annotation %s: %s', (key, expected) => {
    expect(isSidecarOnlyAnnotation(key)).toBe(expected);
  });

  describeAmbientTable(rule, GOOD, BAD, {
    notAmbient: 'everything passes (not an ambient namespace)',
    expectFailure: (violations, [, , paths]) => expect(violations.map((v) => v.path)).toEqual(paths),
  });

  test('the messages say what is inert and why', () => {
    const msg = (o: RuleObject) => checkIn(rule, o, AMBIENT_NS).map((v) => v.message);
    expect(msg(BAD[0][1])).toEqual(['Sidecar in ambient namespace shop does nothing for its ambient pods (ztunnel and waypoints ignore Sidecar objects): '
      + 'the outboundTrafficPolicy, egress hosts it declares restrict nothing']);
    expect(msg(BAD[2][1])).toEqual([expect.stringContaining('it configures nothing')]);
    expect(msg(BAD[3][1])).toEqual([`annotation ${EXCLUDE_INBOUND} on a pod of ambient namespace shop does nothing: no sidecar redirects its traffic and `
      + 'ztunnel captures every port and address, so the ports or ranges it names are neither excluded from nor limited to the mesh']);
    expect(msg(BAD[4][1])).toEqual([expect.stringContaining('the pod stays captured by ztunnel')]);
    expect(msg(BAD[6][1])).toEqual([expect.stringContaining('ztunnel and waypoints take no per-pod proxy configuration')]);
  });

  test('a custom workload kind (Argo Rollouts) is read by check() (admission matches only the built-in kinds)', () => {
    const rollout: RuleObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { template: { metadata: { annotations: { [EXCLUDE_INBOUND]: '1' } }, spec: { containers: [] } } },
    };
    expect(checkIn(rule, rollout, AMBIENT_NS).map((v) => v.path)).toEqual([`spec.template.metadata.annotations["${EXCLUDE_INBOUND}"]`]);
    expect(admitsIn(rule, rollout, AMBIENT_NS)).toBe(true);
  });

  test.each([
    ['annotations a string', pod({ annotations: 'x' as any })],
    ['labels null', pod({ labels: null as any, annotations: { [INJECT]: 'false' } })],
    ['template a string', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: 'x' } }],
    ['Sidecar spec null', { ...sidecar(), spec: null }],
    ['no metadata', { apiVersion: 'v1', kind: 'Pod', spec: {} }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ruleContext([AMBIENT_NS, object as RuleObject]))).not.toThrow();
  });

  test('other kinds are ignored, by check() and admission alike', () => {
    for (const object of [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop', annotations: { [INJECT]: 'false' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop', annotations: { [PROXY_CONFIG]: '{}' } } },
      { ...sidecar({}), apiVersion: 'example.com/v1' },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd', namespace: 'shop' }, spec: {} },
    ]) {
      expect(checkIn(rule, object, AMBIENT_NS)).toEqual([]);
      expect(admitsIn(rule, object, AMBIENT_NS)).toBe(true);
    }
  });

  describe('what the library synthesizes', () => {
    test('the example blueprint (sidecar mode) passes', () => {
      expect(findingsOver(rule, sidecarBlueprint())).toEqual([]);
    });

    test('the sidecar blueprint (a Sidecar object per namespace) passes: its namespace is not ambient', () => {
      const objects = synthValidated(sidecarShop().chart);
      expect(objects.filter((o) => o.kind === 'Sidecar').length).toBeGreaterThan(0);
      expect(findingsOver(rule, objects)).toEqual([]);
    });

    test('relabelled ambient afterwards, its Sidecar object is reported (its pods carry no sidecar annotation)', () => {
      expect(findingsOver(rule, sidecarOutputRelabelledAmbient(synthValidated(sidecarShop().chart)))).toEqual(['Sidecar/default ']);
    });
  });

  describe('in synthesis', () => {
    test('a JSON patch that turns the library\'s sidecar namespace ambient synthesizes, with a warning on the Sidecar it leaves behind', () => {
      // No workloads: their sidecar-mode policies and NetworkPolicies would fail other rules once ambient.
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { ambient: true });
      new HardenedNamespace(chart, 'ns', { name: 'shop' });
      flipToAmbient(chart);
      expect(() => Testing.synth(chart)).not.toThrow();
      expect(PolicyEnforcement.of(chart).report.findings.filter((f) => f.ruleId === 'MESH-AMBIENT-003').map((f) => [f.severity, f.object, f.path]))
        .toEqual([['warning', 'Sidecar/shop/default', '']]);
    });
  });
});

describeWithShared('external-corpus', 'the external corpus (sidecar mode only): no finding', (dir) => {
  const objects = corpus(dir);
  const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata?.name, o]));

  test('it has pods with sidecar annotations and no ambient namespace', () => {
    expect(JSON.stringify(objects)).toMatch(/sidecar\.istio\.io\//);
    expect(JSON.stringify(objects)).not.toMatch(/dataplane-mode/);
  });

  test('check() and admission report nothing', () => {
    expect(findingsOver(rule, objects)).toEqual([]);
    expect(objects.filter((o) => !admitsIn(rule, o, namespaces.get(o.metadata?.namespace))).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([]);
  });
});
