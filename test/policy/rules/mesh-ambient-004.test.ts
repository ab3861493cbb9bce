import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import {
  AMBIENT_NS, describeAmbientTable, admitsIn, checkIn, corpus, findingsOver, flipToAmbient,
  sidecarBlueprint, sidecarOutputRelabelledAmbient, sidecarShop,
} from './ambient-fixtures';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_AMBIENT_004 as rule } from '../../../src/policy/rules/mesh-ambient-004';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };

const MODE = 'istio.io/dataplane-mode';
const NONE = { [MODE]: 'none' };
const INJECT = 'sidecar.istio.io/inject';
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

const WORKLOADS: [string, string][] = [
  ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'ReplicaSet'], ['batch/v1', 'Job'], ['v1', 'ReplicationController'],
];

const GOOD: [string, RuleObject][] = [
  ['plain pod', pod()],
  ['pod enrolled explicitly (dataplane-mode ambient)', pod({ labels: { [MODE]: 'ambient' } })],
  ['"None" is not "none" (the CNI opts out only on none)', pod({ labels: { [MODE]: 'None' } })],
  ['"none" as an annotation (the CNI reads the label)', pod({ annotations: { [MODE]: 'none' } })],
  ['sidecar pod opted out of ambient (label inject "true")', pod({ labels: { ...NONE, [INJECT]: 'true' } })],
  ['injected pod opted out (sidecar.istio.io/status)', pod({ labels: NONE, annotations: { 'sidecar.istio.io/status': '{}' } })],
  ['Istio\'s waypoint pod template (inject "false", dataplane-mode none, gateway-name)', workload('apps/v1', 'Deployment', {
    labels: { [INJECT]: 'false', ...NONE, [GATEWAY_NAME]: 'waypoint', 'gateway.networking.k8s.io/gateway-class-name': 'istio-waypoint' },
  })],
  ['a Gateway API gateway pod (Istio labels it none too)', workload('apps/v1', 'Deployment', { labels: { ...NONE, [GATEWAY_NAME]: 'edge' } })],
  ...WORKLOADS.map(([v, k]): [string, RuleObject] => [`${k} sidecar pod template opted out`, workload(v, k, { labels: { ...NONE, [INJECT]: 'true' } })]),
  ['the label on the workload itself (pods never get it)', workload('apps/v1', 'Deployment', { labels: { app: 'a' } }, { labels: NONE })],
  ['Deployment without template metadata', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: {} } }],
  ['Deployment without spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' } }],
  ['CronJob without jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'shop' }, spec: {} }],
];

/** Each BAD case with the exact path it must report. */
const BAD: [string, RuleObject, string][] = [
  ['pod', pod({ labels: NONE }), `metadata.labels["${MODE}"]`],
  ['pod with inject "false" (not a sidecar pod)', pod({ labels: { ...NONE, [INJECT]: 'false' } }), `metadata.labels["${MODE}"]`],
  ['pod with inject "True" (the injector matches "true" only)', pod({ labels: { ...NONE, [INJECT]: 'True' } }), `metadata.labels["${MODE}"]`],
  ['pod with the inject annotation only (no injection without the label)', pod({ labels: NONE, annotations: { [INJECT]: 'true' } }), `metadata.labels["${MODE}"]`],
  ...WORKLOADS.map(([v, k]): [string, RuleObject, string] => [`${k} pod template`, workload(v, k, { labels: { app: 'a', ...NONE } }), `spec.template.metadata.labels["${MODE}"]`]),
  ['CronJob pod template', cronJob({ labels: NONE }), `spec.jobTemplate.spec.template.metadata.labels["${MODE}"]`],
];

describe('MESH-AMBIENT-004 no pod of an ambient namespace opts out of ambient (MTLS-1, EXC-1)', () => {
  test('metadata', () => {
    expect(rule.practices).toEqual(['MTLS-1', 'EXC-1']);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toContain('/Pod');
    expect(rule.kinds).toContain('batch/CronJob');
  });

  describeAmbientTable(rule, GOOD, BAD, {
    notAmbient: 'every pod passes (not an ambient namespace)',
    expectFailure: (violations, [, , path]) => expect(violations).toEqual([{ path, message: expect.stringContaining('out of ztunnel: no mTLS, no workload identity, no authorization policy') }]),
  });

  test('the message', () => {
    expect(checkIn(rule, BAD[0][1], AMBIENT_NS)[0].message)
      .toBe('label istio.io/dataplane-mode: none takes this pod of ambient namespace shop out of ztunnel: no mTLS, no workload identity, no authorization policy');
  });

  test('a custom workload kind (Argo Rollouts) is read by check() (admission matches only the built-in kinds)', () => {
    const rollout: RuleObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { template: { metadata: { labels: NONE }, spec: { containers: [] } } },
    };
    expect(checkIn(rule, rollout, AMBIENT_NS).map((v) => v.path)).toEqual([`spec.template.metadata.labels["${MODE}"]`]);
    expect(admitsIn(rule, rollout, AMBIENT_NS)).toBe(true);
  });

  test.each([
    ['labels a string', pod({ labels: 'x' as any })],
    ['labels null', pod({ labels: null as any })],
    ['template a string', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: 'x' } }],
    ['no metadata', { apiVersion: 'v1', kind: 'Pod', spec: {} }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ruleContext([AMBIENT_NS, object as RuleObject]))).not.toThrow();
  });

  test('other kinds are ignored, by check() and admission alike', () => {
    for (const object of [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop', labels: NONE } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: NONE } },
      { ...pod({ labels: NONE }), apiVersion: 'example.com/v1' },
    ]) {
      expect(checkIn(rule, object, AMBIENT_NS)).toEqual([]);
      expect(admitsIn(rule, object, AMBIENT_NS)).toBe(true);
    }
  });

  describe('what the library synthesizes', () => {
    test('the example blueprint (sidecar mode) passes', () => {
      expect(findingsOver(rule, sidecarBlueprint())).toEqual([]);
    });

    test('the sidecar blueprint passes, and still does relabelled ambient (no pod opts out)', () => {
      const objects = synthValidated(sidecarShop().chart);
      expect(findingsOver(rule, objects)).toEqual([]);
      expect(findingsOver(rule, sidecarOutputRelabelledAmbient(objects))).toEqual([]);
    });
  });

  describe('in synthesis', () => {
    test('a JSON patch opting the library\'s workload out of an ambient namespace fails synthesis', () => {
      const { chart } = sidecarShop(false);
      flipToAmbient(chart);
      const deployment = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Deployment' && c.metadata.name === 'api') as ApiObject;
      deployment.addJsonPatch(JsonPatch.add('/spec/template/metadata/labels/istio.io~1dataplane-mode', 'none'));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-AMBIENT-004 \(MTLS-1, EXC-1\): \[test\/api\/[^\]]*\] Deployment\/shop\/api spec\.template\.metadata\.labels\["istio\.io\/dataplane-mode"\]: label istio\.io\/dataplane-mode: none/);
    });
  });
});

describeWithShared('external-corpus', 'the external corpus (sidecar mode only): no finding', (dir) => {
  test('check() and admission report nothing', () => {
    const objects = corpus(dir);
    const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata?.name, o]));
    expect(findingsOver(rule, objects)).toEqual([]);
    expect(objects.filter((o) => !admitsIn(rule, o, namespaces.get(o.metadata?.namespace))).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([]);
  });
});
