import { podOf } from './pod-fixtures';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_ROFS_001 as RULE } from '../../../src/policy/rules/workload-read-only-root';

const ctx = ruleContext([]);
const RO = { readOnlyRootFilesystem: true };

const FIXTURES: [string, RuleObject, string[]][] = [
  ['read-only everywhere', podOf({ containers: [{ name: 'app', securityContext: RO }], initContainers: [{ name: 'i', securityContext: RO }] }), []],
  ['no securityContext', podOf({}), ['spec.containers[0].securityContext.readOnlyRootFilesystem']],
  ['explicitly false', podOf({ containers: [{ name: 'app', securityContext: { readOnlyRootFilesystem: false } }] }), ['spec.containers[0].securityContext.readOnlyRootFilesystem']],
  ['a string is not true', podOf({ containers: [{ name: 'app', securityContext: { readOnlyRootFilesystem: 'true' } }] }), ['spec.containers[0].securityContext.readOnlyRootFilesystem']],
  ['init container of a Deployment', podOf({ containers: [{ name: 'app', securityContext: RO }], initContainers: [{ name: 'i' }] }, 'Deployment'),
    ['spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem']],
  ['ephemeral container of a CronJob', podOf({ containers: [{ name: 'app', securityContext: RO }], ephemeralContainers: [{ name: 'dbg' }] }, 'CronJob'),
    ['spec.jobTemplate.spec.template.spec.ephemeralContainers[0].securityContext.readOnlyRootFilesystem']],
  ['other kind', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} }, []],
];

describe('POD-ROFS-001 read-only root filesystem (POD-1, stricter than restricted)', () => {
  test('metadata', () => {
    expect([RULE.id, RULE.practices, RULE.severity]).toEqual(['POD-ROFS-001', ['POD-1'], RuleSeverity.ERROR]);
    expect(RULE.title).toContain('stricter than the restricted profile');
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES.filter(([name]) => !name.startsWith('a string')))('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('the message names the container', () => {
    expect(RULE.check(FIXTURES[1][1], ctx)[0].message).toBe('container "app" does not set readOnlyRootFilesystem: true');
  });
});
