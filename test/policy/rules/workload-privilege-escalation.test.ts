import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity, checkEach } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_ESC_001 as RULE } from '../../../src/policy/rules/workload-privilege-escalation';

const ctx = ruleContext([]);
const HARDENED = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
const pod = (containerSc: object | undefined, podSc?: object, more: object = {}): RuleObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'a' },
  spec: { ...(podSc ? { securityContext: podSc } : {}), containers: [{ name: 'app', image: 'x', ...(containerSc ? { securityContext: containerSc } : {}) }], ...more },
});
const without = (key: string): object => Object.fromEntries(Object.entries(HARDENED).filter(([k]) => k !== key));
const sc = (p: string) => `spec.containers[0].securityContext.${p}`;

const FIXTURES: [string, RuleObject, string[]][] = [
  ['fully hardened container', pod(HARDENED), []],
  ['runAsNonRoot and seccomp on the pod', pod({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } }), []],
  ['no securityContext at all', pod(undefined), [sc('allowPrivilegeEscalation'), sc('capabilities.drop')]],
  ['allowPrivilegeEscalation missing', pod(without('allowPrivilegeEscalation')), [sc('allowPrivilegeEscalation')]],
  ['allowPrivilegeEscalation true', pod({ ...HARDENED, allowPrivilegeEscalation: true }), [sc('allowPrivilegeEscalation')]],
  ['runAsNonRoot missing everywhere', pod(without('runAsNonRoot')), []],
  ['runAsNonRoot false on the pod', pod(without('runAsNonRoot'), { runAsNonRoot: false }), []],
  ['container runAsNonRoot false overrides the pod', pod({ ...HARDENED, runAsNonRoot: false }, { runAsNonRoot: true }), []],
  ['container runAsNonRoot true overrides pod false', pod(HARDENED, { runAsNonRoot: false }), []],
  ['runAsUser alone is not runAsNonRoot', pod({ ...without('runAsNonRoot'), runAsUser: 1000 }), []],
  ['drop without ALL', pod({ ...HARDENED, capabilities: { drop: ['NET_RAW'] } }), [sc('capabilities.drop')]],
  ['drop all in lower case (the restricted profile compares "ALL" exactly)', pod({ ...HARDENED, capabilities: { drop: ['net_raw', 'all'] } }), [sc('capabilities.drop')]],
  ['no capabilities', pod(without('capabilities')), [sc('capabilities.drop')]],
  ['seccomp missing everywhere', pod(without('seccompProfile')), []],
  ['seccomp Unconfined on the pod', pod(without('seccompProfile'), { seccompProfile: { type: 'Unconfined' } }), []],
  ['container Unconfined overrides pod RuntimeDefault', pod({ ...HARDENED, seccompProfile: { type: 'Unconfined' } }, { seccompProfile: { type: 'RuntimeDefault' } }), []],
  ['container RuntimeDefault overrides pod Unconfined', pod(HARDENED, { seccompProfile: { type: 'Unconfined' } }), []],
  ['init and ephemeral containers count', pod(HARDENED, undefined, { initContainers: [{ name: 'i', securityContext: HARDENED }, { name: 'j', securityContext: without('allowPrivilegeEscalation') }], ephemeralContainers: [{ name: 'dbg', securityContext: without('capabilities') }] }), [
    'spec.initContainers[1].securityContext.allowPrivilegeEscalation',
    'spec.ephemeralContainers[0].securityContext.capabilities.drop',
  ]],
  ['stateful set', { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template: { spec: { containers: [{ name: 'a', securityContext: without('seccompProfile') }] } } } }, []],
  ['cron job, pod-level settings', { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'a', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } } } } } }, []],
  ['custom workload kind with a pod template (Argo Rollout)', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { template: { spec: { containers: [{ name: 'a', securityContext: without('allowPrivilegeEscalation') }] } } } }, ['spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation']],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', data: {} }, []],
];

describe('POD-ESC-001', () => {
  test('metadata: an error (the namespace label may be missing or weakened)', () => {
    expect(RULE.id).toBe('POD-ESC-001');
    expect(RULE.practices).toEqual(['POD-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  // Admission names the resources it matches, so custom workload kinds are checked at synth and in the audit (their Pods at admission).
  test.each(FIXTURES.filter(([, o]) => o.kind !== 'Rollout'))('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('custom workload kinds are seen by checkEach through their pod template', () => {
    const rollout = FIXTURES.find(([, o]) => o.kind === 'Rollout')![1];
    expect(checkEach([RULE], [rollout, { apiVersion: 'example.com/v1', kind: 'Widget', spec: { template: { spec: {} } } }], ctx).map((v) => v.index)).toEqual([0]);
  });

  test('messages say what the container lacks', () => {
    expect(RULE.check(pod(undefined), ctx).map((v) => v.message)).toEqual([
      'container "app" does not set allowPrivilegeEscalation: false',
      'container "app" does not drop ALL capabilities',
    ]);
    // Root and seccomp are POD-ROOT-001's and POD-SECCOMP-001's: not reported twice.
    expect(RULE.check(pod({ ...HARDENED, runAsNonRoot: false, seccompProfile: { type: 'Unconfined' } }), ctx)).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    const odd = pod({ allowPrivilegeEscalation: 'false', runAsNonRoot: 'yes', capabilities: { drop: 'ALL' }, seccompProfile: 'RuntimeDefault' }, { seccompProfile: [] } as any);
    expect(RULE.check(odd, ctx).map((v) => v.path)).toEqual([sc('allowPrivilegeEscalation'), sc('capabilities.drop')]);
  });
});
