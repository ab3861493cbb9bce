import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_PRIV_001 as RULE } from '../../../src/policy/rules/workload-privileged';

const ctx = ruleContext([]);
const pod = (spec: object): RuleObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec });
const deployment = (spec: object): RuleObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'a' }, spec: { template: { spec } } });
const cronJob = (spec: object): RuleObject => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'a' }, spec: { jobTemplate: { spec: { template: { spec } } } } });
const privileged = { name: 'app', image: 'x', securityContext: { privileged: true } };

const FIXTURES: [string, RuleObject, string[]][] = [
  ['pod without securityContext', pod({ containers: [{ name: 'app', image: 'x' }] }), []],
  ['privileged: false', pod({ containers: [{ name: 'app', image: 'x', securityContext: { privileged: false } }] }), []],
  ['privileged pod', pod({ containers: [privileged] }), ['spec.containers[0].securityContext.privileged']],
  ['privileged init container', deployment({ containers: [{ name: 'a' }], initContainers: [{ name: 'i' }, privileged] }), ['spec.template.spec.initContainers[1].securityContext.privileged']],
  ['privileged ephemeral container', pod({ containers: [], ephemeralContainers: [privileged] }), ['spec.ephemeralContainers[0].securityContext.privileged']],
  ['privileged cron job', cronJob({ containers: [privileged, privileged] }), [
    'spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged',
    'spec.jobTemplate.spec.template.spec.containers[1].securityContext.privileged',
  ]],
  ['StatefulSet', { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template: { spec: { containers: [privileged] } } } }, ['spec.template.spec.containers[0].securityContext.privileged']],
  ['DaemonSet', { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template: { spec: { containers: [privileged] } } } }, ['spec.template.spec.containers[0].securityContext.privileged']],
  ['Job', { apiVersion: 'batch/v1', kind: 'Job', spec: { template: { spec: { containers: [privileged] } } } }, ['spec.template.spec.containers[0].securityContext.privileged']],
  ['deployment without template', { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 1 } }, []],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', data: { privileged: 'true' } }, []],
  // Another group's kind with a pod template is a custom workload kind: read at synth and in the audit (its Pods at admission).
  ['custom resource named Deployment', { apiVersion: 'example.com/v1', kind: 'Deployment', spec: { template: { spec: { containers: [privileged] } } } },
    ['spec.template.spec.containers[0].securityContext.privileged']],
];

describe('POD-PRIV-001', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('POD-PRIV-001');
    expect(RULE.practices).toEqual(['POD-1', 'OPS-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.admission!.resources).toEqual([
      { apiGroups: [''], apiVersions: ['*'], resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'] },
      { apiGroups: ['apps'], apiVersions: ['*'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
      { apiGroups: ['batch'], apiVersions: ['*'], resources: ['jobs', 'cronjobs'] },
    ]);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES.filter(([name]) => !name.startsWith('custom')))('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('message names the container', () => {
    expect(RULE.check(pod({ initContainers: [privileged], containers: [] }), ctx)[0].message).toBe('init container "app" is privileged (securityContext.privileged: true)');
  });

  test('odd shapes do not throw (the API server rejects them before admission)', () => {
    for (const spec of [{ containers: 'x' }, { containers: [null, 1, 'c'] }, { containers: [{ securityContext: 'x' }] }, { containers: [{ securityContext: { privileged: 'true' } }] }]) {
      expect(RULE.check(pod(spec), ctx)).toEqual([]);
    }
    expect(RULE.check({}, ctx)).toEqual([]);
  });
});
