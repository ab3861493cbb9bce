import { kyvernoResources, podOf } from './pod-fixtures';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_CAP_001 } from '../../../src/policy/rules/workload-capabilities';
import { POD_CAP_002 as RULE } from '../../../src/policy/rules/workload-capabilities-restricted';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);
const adding = (...add: string[]): RuleObject => podOf({ containers: [{ name: 'app', image: 'x', securityContext: { capabilities: { drop: ['ALL'], add } } }] });
const at = (i: number) => `spec.containers[0].securityContext.capabilities.add[${i}]`;

const FIXTURES: [string, RuleObject, string[]][] = [
  ['no add', podOf({}), []],
  ['NET_BIND_SERVICE, any spelling', adding('NET_BIND_SERVICE', 'cap_net_bind_service'), []],
  ['CHOWN (baseline allows it, restricted does not)', adding('NET_BIND_SERVICE', 'CAP_CHOWN'), [at(1)]],
  ['SYS_PTRACE and setuid in lower case', adding('SYS_PTRACE', 'setuid'), [at(0), at(1)]],
  ['look-alikes of NET_BIND_SERVICE are other names', adding('NET_BIND_SERVICES', 'CAPNET_BIND_SERVICE'), [at(0), at(1)]],
  ['NET_ADMIN, ALL and non-names are POD-CAP-001\'s, not reported twice', adding('NET_ADMIN', 'all', 'net admin'), []],
  ['init container of a CronJob', podOf({ initContainers: [{ name: 'i', securityContext: { capabilities: { add: ['MKNOD'] } } }] }, 'CronJob'),
    ['spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.capabilities.add[0]']],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { add: 'CHOWN' } }, []],
];

describe('POD-CAP-002 only NET_BIND_SERVICE may be added (POD-1, restricted profile)', () => {
  test('metadata: new in rule set 2', () => {
    expect([RULE.id, RULE.practices, RULE.severity, RULE.since]).toEqual(['POD-CAP-002', ['POD-1'], RuleSeverity.ERROR, '2']);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('with POD-CAP-001, every capability but NET_BIND_SERVICE is reported exactly once', () => {
    for (const cap of ['CHOWN', 'NET_RAW', 'cap_sys_admin', 'ALL', 'SYS_MODULE', 'net_bind_service']) {
      const pod = adding(cap);
      const count = POD_CAP_001.check(pod, ctx).length + RULE.check(pod, ctx).length;
      expect([cap, count]).toEqual([cap, cap === 'net_bind_service' ? 0 : 1]);
    }
  });

  test('the message names the capability as written', () => {
    expect(RULE.check(adding('Chown'), ctx)[0].message).toBe('container "app" adds CAP_CHOWN (written "Chown"); only NET_BIND_SERVICE may be added');
  });
});

const CORPUS = 'external-corpus/kyverno/pod-security/restricted/disallow-capabilities-strict';
describeWithShared(CORPUS, 'the external corpus: Kyverno restricted disallow-capabilities-strict, its adding rule', (dir) => {
  // Kyverno's policy has two rules: adding (addcap-* resources) and drop ALL (POD-ESC-001's). Its adding rule
  // is POD-CAP-001 and POD-CAP-002 together.
  const resources = kyvernoResources(dir).filter((r) => r.file.startsWith('resource--addcap-'));

  test('the resources Kyverno refuses for an added capability are reported, the others pass, by check and admission', () => {
    expect(resources.length).toBe(60);
    for (const { file, object } of resources) {
      const bad = file.startsWith('resource--addcap-bad');
      const found = [POD_CAP_001, RULE].some((r) => r.check(object, ctx).length > 0);
      const admitted = [POD_CAP_001, RULE].every((r) => admits(r.admission!, object));
      expect([file, found, admitted]).toEqual([file, bad, !bad]);
    }
  });
});
