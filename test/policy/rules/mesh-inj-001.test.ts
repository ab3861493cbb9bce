import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_INJ_001 as rule } from '../../../src/policy/rules/mesh-inj-001';

const ctx = ruleContext([]);
const KEY = 'sidecar.istio.io/inject';
const MODE = 'istio.io/dataplane-mode';

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string> };

function pod(meta: Meta = {}): RuleObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', ...meta }, spec: { containers: [{ name: 'a', image: 'a' }] } };
}
function workload(apiVersion: string, kind: string, template: Meta = {}, own: Meta = {}): RuleObject {
  return { apiVersion, kind, metadata: { name: 'w', namespace: 'shop', ...own }, spec: { template: { metadata: template, spec: {} } } };
}
function cronJob(template: Meta = {}, own: Meta = {}): RuleObject {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'shop', ...own }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { metadata: template } } } } };
}
function namespace(labels?: Record<string, string>): RuleObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', ...(labels ? { labels } : {}) } };
}

const WORKLOADS: [string, string][] = [
  ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'ReplicaSet'], ['batch/v1', 'Job'], ['v1', 'ReplicationController'],
];

const GOOD: [string, RuleObject][] = [
  ['plain pod', pod()],
  ['pod inject true', pod({ labels: { [KEY]: 'true' }, annotations: { [KEY]: 'true' } })],
  ['pod inject YES / on / y / empty', pod({ labels: { [KEY]: 'YES' }, annotations: { [KEY]: 'on', other: 'false' } })],
  ['pod inject empty (namespace default)', pod({ annotations: { [KEY]: '' } })],
  ...WORKLOADS.map(([v, k]): [string, RuleObject] => [`${k} injected`, workload(v, k, { labels: { app: 'a', [KEY]: 'true' } })]),
  ['Deployment without template metadata', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: {} } }],
  ['Deployment without spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }],
  ['CronJob injected', cronJob({ labels: { [KEY]: 'true' } })],
  ['CronJob without jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: {} }],
  ['namespace enabled', namespace({ 'istio-injection': 'enabled' })],
  ['namespace revision', namespace({ 'istio.io/rev': 'stable' })],
  ['namespace without labels', namespace()],
  ['namespace with other labels', namespace({ 'kubernetes.io/metadata.name': 'shop' })],
  ['namespace ambient', namespace({ [MODE]: 'ambient' })],
  ['namespace ambient, injection disabled (explicitly sidecar-free)', namespace({ [MODE]: 'ambient', 'istio-injection': 'disabled' })],
  ['namespace ambient, empty revision', namespace({ [MODE]: 'ambient', 'istio.io/rev': '' })],
  ['namespace injected, dataplane-mode none (sidecars, not ambient)', namespace({ 'istio-injection': 'enabled', [MODE]: 'none' })],
  ['namespace revision, dataplane-mode none', namespace({ 'istio.io/rev': 'stable', [MODE]: 'none' })],
  ['pod dataplane-mode none is MESH-AMBIENT-004\'s', pod({ labels: { [MODE]: 'none' } })],
  ['Deployment template dataplane-mode none is MESH-AMBIENT-004\'s', workload('apps/v1', 'Deployment', { labels: { [MODE]: 'none' } })],
  ['Service is out of scope', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { [KEY]: 'false' } } }],
];
const BAD: [string, RuleObject][] = [
  ['pod label false', pod({ labels: { [KEY]: 'false' } })],
  ['pod annotation false', pod({ annotations: { [KEY]: 'false' } })],
  ['pod annotation FALSE', pod({ annotations: { [KEY]: 'FALSE' } })],
  ['pod annotation no', pod({ annotations: { [KEY]: 'no' } })],
  ['pod annotation typo', pod({ annotations: { [KEY]: 'ture' } })],
  ...WORKLOADS.map(([v, k]): [string, RuleObject] => [`${k} template label false`, workload(v, k, { labels: { [KEY]: 'false' } })]),
  ...WORKLOADS.map(([v, k]): [string, RuleObject] => [`${k} template annotation off`, workload(v, k, { annotations: { [KEY]: 'off' } })]),
  ['Deployment own label false', workload('apps/v1', 'Deployment', {}, { labels: { [KEY]: 'false' } })],
  ['Deployment own annotation false', workload('apps/v1', 'Deployment', {}, { annotations: { [KEY]: 'false' } })],
  ['CronJob pod template false', cronJob({ annotations: { [KEY]: 'false' } })],
  ['CronJob own label false', cronJob({}, { labels: { [KEY]: 'false' } })],
  ['namespace disabled', namespace({ 'istio-injection': 'disabled' })],
  ['namespace false', namespace({ 'istio-injection': 'false' })],
  ['namespace empty revision', namespace({ 'istio.io/rev': '' })],
  ['namespace dataplane-mode none', namespace({ [MODE]: 'none' })],
  ['namespace dataplane-mode typo', namespace({ [MODE]: 'ambeint' })],
  ['namespace dataplane-mode in capitals (Istio matches "ambient" exactly)', namespace({ [MODE]: 'Ambient' })],
  ['namespace dataplane-mode empty', namespace({ [MODE]: '' })],
  ['namespace dataplane-mode none among other labels', namespace({ [MODE]: 'none', team: 'web' })],
];

describe('MESH-INJ-001 the mesh is never turned off: sidecar injection, ambient mode (EXC-1, OPS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toHaveLength(1);
  });

  test('pod: label and annotation paths', () => {
    expect(rule.check(pod({ labels: { [KEY]: 'false' }, annotations: { [KEY]: 'false' } }), ctx)).toEqual([
      { path: 'metadata.labels["sidecar.istio.io/inject"]', message: expect.stringMatching(/^Pod label sidecar.istio.io\/inject: "false" turns sidecar injection off/) },
      { path: 'metadata.annotations["sidecar.istio.io/inject"]', message: expect.stringMatching(/^Pod annotation/) },
    ]);
  });

  test('workload: template and own metadata', () => {
    expect(rule.check(workload('apps/v1', 'StatefulSet', { annotations: { [KEY]: 'false' } }, { labels: { [KEY]: 'false' } }), ctx)).toEqual([
      { path: 'spec.template.metadata.annotations["sidecar.istio.io/inject"]', message: expect.stringMatching(/^StatefulSet pod template annotation/) },
      { path: 'metadata.labels["sidecar.istio.io/inject"]', message: expect.stringMatching(/^StatefulSet label/) },
    ]);
  });

  test('CronJob: job template path', () => {
    expect(rule.check(cronJob({ labels: { [KEY]: 'false' } }), ctx)).toEqual([
      { path: 'spec.jobTemplate.spec.template.metadata.labels["sidecar.istio.io/inject"]', message: expect.any(String) },
    ]);
  });

  test('namespace: both labels', () => {
    expect(rule.check(namespace({ 'istio-injection': 'disabled', 'istio.io/rev': '' }), ctx)).toEqual([
      { path: 'metadata.labels["istio-injection"]', message: expect.stringContaining('"disabled" turns sidecar injection off for every pod') },
      { path: 'metadata.labels["istio.io/rev"]', message: expect.stringContaining('is empty') },
    ]);
  });

  test('namespace: ambient mode counts as the mesh being on; dataplane-mode other than ambient is reported only without sidecars', () => {
    expect(rule.check(namespace({ [MODE]: 'none' }), ctx)).toEqual([{
      path: 'metadata.labels["istio.io/dataplane-mode"]',
      message: 'Namespace label istio.io/dataplane-mode: "none" keeps the namespace out of ambient mode (only "ambient" enrols it), '
        + 'and no injection label gives its pods a sidecar: they run outside the mesh',
    }]);
    expect(rule.check(namespace({ [MODE]: 'none', 'istio-injection': 'disabled', 'istio.io/rev': '' }), ctx).map((v) => v.path)).toEqual([
      'metadata.labels["istio-injection"]', 'metadata.labels["istio.io/rev"]', 'metadata.labels["istio.io/dataplane-mode"]',
    ]);
    // istio-injection wins over istio.io/rev: a disabled injection label with a revision injects nothing.
    expect(rule.check(namespace({ [MODE]: 'none', 'istio-injection': 'disabled', 'istio.io/rev': 'stable' }), ctx)).toHaveLength(2);
    expect(rule.check(namespace({ 'istio-injection': 'disabled' }), ctx)[0].message).toMatch(/and the namespace is not in ambient mode \(istio.io\/dataplane-mode: ambient\)$/);
    // A non-string value (YAML true) fails closed.
    const yamlTrue = namespace({ [MODE]: true as unknown as string });
    expect(rule.check(yamlTrue, ctx)).toHaveLength(1);
    expect(admits(rule.admission!, yamlTrue)).toBe(false);
  });

  test.each([
    ['pod with null metadata', { apiVersion: 'v1', kind: 'Pod', metadata: null }],
    ['pod with labels of wrong type', { apiVersion: 'v1', kind: 'Pod', metadata: { labels: 'x' } }],
    ['deployment with a template list', { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: [] } }],
    ['cronjob with null jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: null } }],
    ['namespace with null labels', { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: null } }],
    ['no kind', {}],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('a boolean (unquoted YAML false) fails closed', () => {
    expect(rule.check({ apiVersion: 'v1', kind: 'Pod', metadata: { annotations: { [KEY]: false as unknown as string } } }, ctx)).toHaveLength(1);
  });

  test('admission matches pods, workloads and namespaces', () => {
    const resources = rule.admission!.resources.flatMap((r) => r.resources);
    expect(resources).toEqual(expect.arrayContaining(['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers', 'namespaces']));
  });

  // The Service fixture is left out: admission does not match services, so its CEL never sees one.
  test.each([...GOOD.filter(([n]) => !n.startsWith('Service')), ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
