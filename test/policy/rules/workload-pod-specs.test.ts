import { admits } from '../../../src/policy/admission-cel';
import {
  allContainersOf, celForEachContainer, celForPodSpec, celIsKind, celString, containersOf, podSpecsOf, upperAscii,
} from '../../../src/policy/rules/workload-pod-specs';

const spec = { containers: [{ name: 'app', image: 'a' }], initContainers: [{ name: 'init' }], ephemeralContainers: [{ name: 'dbg' }] };

function evalCel(expression: string, object: any): boolean {
  return admits({ resources: [], expression, message: '' }, object);
}

describe('pod spec locations', () => {
  test.each([
    ['v1', 'Pod', { spec }, 'spec'],
    ['v1', 'ReplicationController', { spec: { template: { spec } } }, 'spec.template.spec'],
    ['apps/v1', 'Deployment', { spec: { template: { spec } } }, 'spec.template.spec'],
    ['apps/v1', 'StatefulSet', { spec: { template: { spec } } }, 'spec.template.spec'],
    ['apps/v1', 'DaemonSet', { spec: { template: { spec } } }, 'spec.template.spec'],
    ['apps/v1', 'ReplicaSet', { spec: { template: { spec } } }, 'spec.template.spec'],
    ['batch/v1', 'Job', { spec: { template: { spec } } }, 'spec.template.spec'],
    ['batch/v1', 'CronJob', { spec: { jobTemplate: { spec: { template: { spec } } } } }, 'spec.jobTemplate.spec.template.spec'],
  ])('%s %s: pod spec at the right path', (apiVersion, kind, body, path) => {
    const found = podSpecsOf({ apiVersion, kind, ...body });
    expect(found).toEqual([{ path, spec }]);
    expect(allContainersOf({ apiVersion, kind, ...body }).map((c) => [c.path, c.label])).toEqual([
      [`${path}.containers[0]`, 'container "app"'],
      [`${path}.initContainers[0]`, 'init container "init"'],
      [`${path}.ephemeralContainers[0]`, 'ephemeral container "dbg"'],
    ]);
  });

  test('other kinds and kinds of another group have no pod spec, unless they carry a pod template', () => {
    expect(podSpecsOf({ apiVersion: 'v1', kind: 'Service', spec })).toEqual([]);
    expect(podSpecsOf({ apiVersion: 'apps/v1', kind: 'Pod', spec })).toEqual([]);
    expect(podSpecsOf({ apiVersion: 'example.com/v1', kind: 'Widget', spec: { template: { spec: { replicas: 1 } } } })).toEqual([]);
    // A custom workload kind (Argo Rollouts' Rollout, or another group's "Deployment") is read through its template.
    expect(podSpecsOf({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { template: { spec } } })).toEqual([{ path: 'spec.template.spec', spec }]);
    expect(podSpecsOf({ apiVersion: 'example.com/v1', kind: 'Deployment', spec: { template: { spec } } })).toEqual([{ path: 'spec.template.spec', spec }]);
  });

  test('odd shapes do not throw', () => {
    expect(podSpecsOf({ apiVersion: 'apps/v1', kind: 'Deployment' })).toEqual([]);
    expect(podSpecsOf({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: 'x' } })).toEqual([]);
    expect(podSpecsOf({ apiVersion: 'v1', kind: 'Pod', spec: [] })).toEqual([]);
    expect(containersOf({ path: 'spec', spec: { containers: 'x', initContainers: [null, 3, { image: 'i' }] } }))
      .toEqual([{ path: 'spec.initContainers[2]', label: 'init container #2', container: { image: 'i' } }]);
  });

  test('upperAscii leaves non-ASCII letters alone, as CEL does', () => {
    expect(upperAscii('net_admın')).toBe('NET_ADMıN');
    expect(evalCel(`'net_admın'.upperAscii() == ${celString(upperAscii('net_admın'))}`, {})).toBe(true);
  });
});

describe('CEL builders', () => {
  test('celString escapes quotes and backslashes', () => {
    expect(evalCel(`${celString("a'b\\c")} == 'a\\'b\\\\c'`, {})).toBe(true);
  });

  test('celIsKind decides the group like isKind', () => {
    const apps = celIsKind('apps', ['Deployment']);
    expect(evalCel(apps, { apiVersion: 'apps/v1', kind: 'Deployment' })).toBe(true);
    expect(evalCel(apps, { apiVersion: 'apps.example.com/v1', kind: 'Deployment' })).toBe(false);
    expect(evalCel(apps, { apiVersion: 'apps/v1', kind: 'StatefulSet' })).toBe(false);
    const core = celIsKind('', ['Pod']);
    expect(evalCel(core, { apiVersion: 'v1', kind: 'Pod' })).toBe(true);
    expect(evalCel(core, { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'Pod' })).toBe(false);
  });

  test('celForPodSpec reaches every location and admits other kinds', () => {
    const expr = celForPodSpec((s) => celForEachContainer(s, (c) => `${c}.name != 'bad'`));
    const bad = { containers: [{ name: 'ok' }], ephemeralContainers: [{ name: 'bad' }] };
    expect(evalCel(expr, { apiVersion: 'v1', kind: 'Pod', spec: bad })).toBe(false);
    expect(evalCel(expr, { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: bad } } } } })).toBe(false);
    expect(evalCel(expr, { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: {} } } })).toBe(true);
    expect(evalCel(expr, { apiVersion: 'v1', kind: 'ConfigMap', data: {} })).toBe(true);
    expect(evalCel(expr, { apiVersion: 'example.com/v1', kind: 'Pod', spec: bad })).toBe(true);
  });
});
