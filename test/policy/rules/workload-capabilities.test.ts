import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_CAP_001 as RULE, forbiddenCapability } from '../../../src/policy/rules/workload-capabilities';

const ctx = ruleContext([]);
const pod = (...add: string[][]): RuleObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'a' },
  spec: { containers: add.map((a, i) => ({ name: `c${i}`, image: 'x', securityContext: { capabilities: { add: a, drop: ['ALL'] } } })) },
});
const daemonSet = (add: string[], list = 'initContainers'): RuleObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'd', namespace: 'a' },
  spec: { template: { spec: { containers: [{ name: 'app' }], [list]: [{ name: 'istio-init', securityContext: { capabilities: { add } } }] } } },
});

const FIXTURES: [string, RuleObject, string[]][] = [
  ['no add', { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'a', securityContext: { capabilities: { drop: ['ALL'] } } }] } }, []],
  ['harmless capability', pod(['NET_BIND_SERVICE', 'CAP_CHOWN']), []],
  ['NET_ADMIN', pod(['NET_ADMIN']), ['spec.containers[0].securityContext.capabilities.add[0]']],
  ['net_raw lower case', pod(['CHOWN', 'net_raw']), ['spec.containers[0].securityContext.capabilities.add[1]']],
  ['CAP_ prefix', pod(['CAP_NET_ADMIN']), ['spec.containers[0].securityContext.capabilities.add[0]']],
  ['cap_ prefix, mixed case', pod(['cap_Sys_Admin']), ['spec.containers[0].securityContext.capabilities.add[0]']],
  ['ALL', pod([], ['all']), ['spec.containers[1].securityContext.capabilities.add[0]']],
  ['CAP_ALL', pod(['CAP_ALL']), ['spec.containers[0].securityContext.capabilities.add[0]']],
  ['non-ASCII look-alike (Go upper-cases ı to I)', pod(['net_admın']), ['spec.containers[0].securityContext.capabilities.add[0]']],
  ['space inside the name', pod(['NET ADMIN']), ['spec.containers[0].securityContext.capabilities.add[0]']],
  ['NET_ADMINISTRATOR is not NET_ADMIN', pod(['NET_ADMINISTRATOR', 'CAPNET_RAW']), []],
  ['double prefix is not stripped twice', pod(['CAP_CAP_NET_RAW']), []],
  ['istio-init init container', daemonSet(['NET_ADMIN', 'NET_RAW']), [
    'spec.template.spec.initContainers[0].securityContext.capabilities.add[0]',
    'spec.template.spec.initContainers[0].securityContext.capabilities.add[1]',
  ]],
  ['ephemeral container', daemonSet(['SYS_ADMIN'], 'ephemeralContainers'), ['spec.template.spec.ephemeralContainers[0].securityContext.capabilities.add[0]']],
  ['other kind', { apiVersion: 'v1', kind: 'Secret', data: {} }, []],
];

describe('POD-CAP-001', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('POD-CAP-001');
    expect(RULE.practices).toEqual(['POD-1', 'OPS-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages say which capability, as written', () => {
    expect(RULE.check(pod(['NET_ADMIN']), ctx)[0].message).toBe('container "c0" adds CAP_NET_ADMIN');
    expect(RULE.check(pod(['net_raw']), ctx)[0].message).toBe('container "c0" adds CAP_NET_RAW (written "net_raw")');
    expect(RULE.check(pod(['ALL']), ctx)[0].message).toBe('container "c0" adds ALL capabilities');
    expect(RULE.check(daemonSet(['CAP_SYS_ADMIN']), ctx)[0].message).toBe('init container "istio-init" adds CAP_SYS_ADMIN');
    expect(RULE.check(pod(['net_admın']), ctx)[0].message).toMatch(/not a capability name/);
  });

  test('forbiddenCapability', () => {
    expect(forbiddenCapability('NET_BIND_SERVICE')).toBeUndefined();
    expect(forbiddenCapability('')).toBeUndefined();
    expect(forbiddenCapability('Net_Raw')).toBe('adds CAP_NET_RAW (written "Net_Raw")');
  });

  test('odd shapes do not throw', () => {
    const odd = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ securityContext: { capabilities: 'NET_ADMIN' } }, { securityContext: { capabilities: { add: 'NET_ADMIN' } } }, { securityContext: { capabilities: { add: [1, null] } } }] } };
    expect(RULE.check(odd, ctx)).toEqual([]);
  });
});
