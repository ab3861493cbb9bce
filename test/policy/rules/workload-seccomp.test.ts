import { podOf } from './pod-fixtures';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_SECCOMP_001 } from '../../../src/policy/rules/workload-seccomp';

// Synthesis forms and Kyverno's restrict-seccomp-strict corpus run with POD-ROOT-001's (workload-run-as-non-root.test.ts).
const ctx = ruleContext([]);
const pod = (spec: object) => podOf(spec);
const agree = (o: RuleObject) => expect(admits(POD_SECCOMP_001.admission!, o)).toBe(POD_SECCOMP_001.check(o, ctx).length === 0);

describe('POD-SECCOMP-001 containers run under a seccomp profile (POD-1)', () => {
  const GOOD: [string, RuleObject][] = [
    ['RuntimeDefault on the pod', pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } })],
    ['Localhost on the container', pod({ containers: [{ name: 'a', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } }] })],
  ];
  const BAD: [string, RuleObject, string[]][] = [
    ['none', pod({}), ['spec.containers[0].securityContext.seccompProfile.type']],
    ['Unconfined on the pod', pod({ securityContext: { seccompProfile: { type: 'Unconfined' } } }), ['spec.containers[0].securityContext.seccompProfile.type']],
    ['a container unconfines itself', pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'a', securityContext: { seccompProfile: { type: 'Unconfined' } } }] }),
      ['spec.containers[0].securityContext.seccompProfile.type']],
  ];

  test.each(GOOD)('passes: %s', (_n, o) => expect(POD_SECCOMP_001.check(o, ctx)).toEqual([]));
  test.each(BAD)('fails: %s', (_n, o, paths) => expect(POD_SECCOMP_001.check(o, ctx).map((v) => v.path)).toEqual(paths));
  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('admission agrees: %s', (_n, o) => agree(o));
});

