import { podOf } from './pod-fixtures';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_PID_001 as RULE } from '../../../src/policy/rules/workload-process-namespace';

const ctx = ruleContext([]);

const FIXTURES: [string, RuleObject, string[]][] = [
  ['not set', podOf({}), []],
  ['false', podOf({ shareProcessNamespace: false }), []],
  ['true on a Pod', podOf({ shareProcessNamespace: true }), ['spec.shareProcessNamespace']],
  ['true in a Deployment template', podOf({ shareProcessNamespace: true }, 'Deployment'), ['spec.template.spec.shareProcessNamespace']],
  ['true in a CronJob', podOf({ shareProcessNamespace: true }, 'CronJob'), ['spec.jobTemplate.spec.template.spec.shareProcessNamespace']],
  ['hostPID is POD-HOST-001\'s', podOf({ hostPID: true }), []],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: { shareProcessNamespace: true } }, []],
];

describe('POD-PID-001 no shared process namespace (POD-1, stricter than restricted)', () => {
  test('metadata', () => {
    expect([RULE.id, RULE.practices, RULE.severity]).toEqual(['POD-PID-001', ['POD-1'], RuleSeverity.ERROR]);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('a wrong shape is a finding, not silence', () => {
    expect(RULE.check(podOf({ shareProcessNamespace: 'true' }), ctx).map((v) => v.path)).toEqual(['spec.shareProcessNamespace']);
  });
});
