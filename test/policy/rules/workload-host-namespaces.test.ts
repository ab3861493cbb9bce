import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_HOST_001 as RULE } from '../../../src/policy/rules/workload-host-namespaces';

const ctx = ruleContext([]);
const pod = (extra: object): RuleObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }], ...extra } });
const job = (extra: object): RuleObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'a' }], ...extra } } } });

const FIXTURES: [string, RuleObject, string[]][] = [
  ['no host namespaces', pod({}), []],
  ['all false', pod({ hostNetwork: false, hostPID: false, hostIPC: false }), []],
  ['hostNetwork', pod({ hostNetwork: true }), ['spec.hostNetwork']],
  ['hostPID and hostIPC', pod({ hostPID: true, hostIPC: true }), ['spec.hostPID', 'spec.hostIPC']],
  ['job on the host network', job({ hostNetwork: true }), ['spec.template.spec.hostNetwork']],
  ['replica set', { apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template: { spec: { hostIPC: true } } } }, ['spec.template.spec.hostIPC']],
  ['replication controller', { apiVersion: 'v1', kind: 'ReplicationController', spec: { template: { spec: { hostPID: true } } } }, ['spec.template.spec.hostPID']],
  ['hostUsers is not a host namespace flag here', pod({ hostUsers: true }), []],
  ['other kind', { apiVersion: 'v1', kind: 'Service', spec: { hostNetwork: true } }, []],
];

describe('POD-HOST-001', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('POD-HOST-001');
    expect(RULE.practices).toEqual(['POD-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages', () => {
    expect(RULE.check(pod({ hostNetwork: true, hostPID: true }), ctx).map((v) => v.message)).toEqual([
      "the pod shares the node's network namespace (hostNetwork: true)",
      "the pod shares the node's PID namespace (hostPID: true)",
    ]);
  });

  test('odd shapes do not throw', () => {
    expect(RULE.check(pod({ hostNetwork: 'true' }), ctx)).toEqual([]);
    expect(RULE.check({ apiVersion: 'v1', kind: 'Pod', spec: 'x' }, ctx)).toEqual([]);
  });
});
