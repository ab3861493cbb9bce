import { ApiObject, Chart, Testing } from 'cdk8s';
import { expectKyvernoAgreement, podOf } from './pod-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_HOSTPATH_001 as rule } from '../../../src/policy/rules/workload-host-path';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);
const SC = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const pod = (spec: object, kind?: 'Pod' | 'Deployment' | 'CronJob') => podOf({ securityContext: SC, ...spec }, kind);

const GOOD: [string, RuleObject][] = [
  ['no volumes', pod({})],
  ['emptyDir, configMap, PVC', pod({ volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }] })],
];
const BAD: [string, RuleObject, string[]][] = [
  ['the runtime socket', pod({ volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }] }), ['spec.volumes[0].hostPath']],
  ['in a Deployment, second volume', pod({ volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'root', hostPath: { path: '/', type: 'Directory' } }] }, 'Deployment'), ['spec.template.spec.volumes[1].hostPath']],
  ['in a CronJob', pod({ volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] }, 'CronJob'), ['spec.jobTemplate.spec.template.spec.volumes[0].hostPath']],
];

describe('POD-HOSTPATH-001 no hostPath volumes (POD-1)', () => {
  test.each(GOOD)('passes: %s', (_n, o) => expect(rule.check(o, ctx)).toEqual([]));
  test.each(BAD)('fails: %s', (_n, o, paths) => expect(rule.check(o, ctx).map((v) => v.path)).toEqual(paths));
  test('the message names the volume and the node path', () => {
    expect(rule.check(BAD[0][1], ctx)[0].message).toBe('volume "sock" mounts a directory of the node (/var/run/docker.sock)');
  });
  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('admission agrees: %s', (_n, o) => {
    expect(admits(rule.admission!, o)).toBe(rule.check(o, ctx).length === 0);
  });
  test('odd shapes do not throw', () => expect(() => rule.check(pod({ volumes: [null, 'x', { hostPath: 'y' }] }), ctx)).not.toThrow());
  test('a raw pod mounting the node fails synthesis', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    new ApiObject(chart, 'agent', BAD[0][1] as any);
    expect(() => Testing.synth(chart)).toThrow(/POD-HOSTPATH-001 \(POD-1\): \[test\/agent\] Pod\/a\/p spec\.volumes\[0\]\.hostPath: /);
  });
});

describeWithShared('external-corpus/kyverno/pod-security/baseline/disallow-host-path', 'the external corpus agrees (Kyverno disallow-host-path)', (dir) => {
  test('bad resources are reported and good ones pass, by check and admission alike', () => expectKyvernoAgreement(dir, rule));
});
