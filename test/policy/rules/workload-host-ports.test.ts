import { ApiObject, Chart, Testing } from 'cdk8s';
import { expectKyvernoAgreement, podOf } from './pod-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_HOSTPORT_001 as rule } from '../../../src/policy/rules/workload-host-ports';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);
const SC = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const pod = (spec: object, kind?: 'Pod' | 'Deployment' | 'CronJob') => podOf({ securityContext: SC, ...spec }, kind);

const GOOD: [string, RuleObject][] = [
  ['no ports', pod({})],
  ['container ports only, hostPort 0', pod({ containers: [{ name: 'a', ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 0 }] }] })],
];
const BAD: [string, RuleObject, string[]][] = [
  ['hostPort on a container', pod({ containers: [{ name: 'a', ports: [{ containerPort: 8080, hostPort: 8080 }] }] }), ['spec.containers[0].ports[0].hostPort']],
  ['hostPort on an init container of a Deployment', pod({ initContainers: [{ name: 'i', ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] }] }, 'Deployment'),
    ['spec.template.spec.initContainers[0].ports[0].hostPort']],
];

describe('POD-HOSTPORT-001 no hostPort (POD-1, NETPOL-1)', () => {
  test.each(GOOD)('passes: %s', (_n, o) => expect(rule.check(o, ctx)).toEqual([]));
  test.each(BAD)('fails: %s', (_n, o, paths) => expect(rule.check(o, ctx).map((v) => v.path)).toEqual(paths));
  test('the message names the container and the port', () => {
    expect(rule.check(BAD[0][1], ctx)[0].message).toBe('container "a" binds port 8080 on the node (hostPort)');
  });
  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('admission agrees: %s', (_n, o) => {
    expect(admits(rule.admission!, o)).toBe(rule.check(o, ctx).length === 0);
  });
  test('odd shapes do not throw', () => expect(() => rule.check(pod({ containers: [{ name: 'a', ports: 'x' }, { name: 'b', ports: [null] }] }), ctx)).not.toThrow());
  test('a raw pod binding a node port fails synthesis', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    new ApiObject(chart, 'proxy', BAD[0][1] as any);
    expect(() => Testing.synth(chart)).toThrow(/POD-HOSTPORT-001 \(POD-1, NETPOL-1\): \[test\/proxy\] Pod\/a\/p spec\.containers\[0\]\.ports\[0\]\.hostPort: /);
  });
});

describeWithShared('external-corpus/kyverno/pod-security/baseline/disallow-host-ports', 'the external corpus agrees (Kyverno disallow-host-ports)', (dir) => {
  test('bad resources are reported and good ones pass, by check and admission alike', () => expectKyvernoAgreement(dir, rule));
});
