import { podOf } from './pod-fixtures';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_PSS_001 as RULE, SAFE_SYSCTLS } from '../../../src/policy/rules/workload-restricted-profile';

const ctx = ruleContext([]);
const c0 = (p: string) => `spec.containers[0].securityContext.${p}`;
const withContainerSc = (sc: object): object => ({ containers: [{ name: 'app', image: 'x', securityContext: sc }] });
const annotated = (annotations: object): RuleObject => ({ ...podOf({}), metadata: { name: 'p', namespace: 'a', annotations } } as RuleObject);

const FIXTURES: [string, RuleObject, string[]][] = [
  ['a plain pod', podOf({}), []],
  ['restricted-compliant settings', podOf({
    securityContext: { appArmorProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { level: 's0:c123,c456' }, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
    volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }, { name: 'sec', csi: { driver: 'secrets-store.csi.k8s.io' } }, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }],
    containers: [{ name: 'app', image: 'x', securityContext: { procMount: 'Default', appArmorProfile: { type: 'Localhost', localhostProfile: 'p' }, seLinuxOptions: { type: 'container_init_t' } } }],
  }), []],
  ['AppArmor annotations runtime/default and localhost/', annotated({ 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default', 'container.apparmor.security.beta.kubernetes.io/b': 'localhost/p' }), []],
  ['procMount Unmasked', podOf(withContainerSc({ procMount: 'Unmasked' })), [c0('procMount')]],
  ['AppArmor Unconfined on the pod', podOf({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }), ['spec.securityContext.appArmorProfile.type']],
  ['AppArmor Unconfined on a container', podOf(withContainerSc({ appArmorProfile: { type: 'Unconfined' } })), [c0('appArmorProfile.type')]],
  ['AppArmor annotation unconfined', annotated({ 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' }),
    ['metadata.annotations.container.apparmor.security.beta.kubernetes.io/app']],
  ['SELinux type spc_t (super-privileged)', podOf(withContainerSc({ seLinuxOptions: { type: 'spc_t' } })), [c0('seLinuxOptions.type')]],
  ['SELinux user and role', podOf({ securityContext: { seLinuxOptions: { user: 'system_u', role: 'system_r' } } }), ['spec.securityContext.seLinuxOptions.user', 'spec.securityContext.seLinuxOptions.role']],
  ['Windows HostProcess', podOf({ securityContext: { windowsOptions: { hostProcess: true } } }), ['spec.securityContext.windowsOptions.hostProcess']],
  ['unsafe sysctl', podOf({ securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }] } }), ['spec.securityContext.sysctls[0].name']],
  ['nfs and gitRepo volumes', podOf({ volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }, { name: 'g', gitRepo: { repository: 'r' } }] }), ['spec.volumes[0].nfs', 'spec.volumes[1].gitRepo']],
  ['hostPath is POD-HOSTPATH-001\'s, not reported twice', podOf({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }), []],
  ['init container in a Deployment', podOf({ initContainers: [{ name: 'init', securityContext: { procMount: 'Unmasked' } }] }, 'Deployment'), ['spec.template.spec.initContainers[0].securityContext.procMount']],
  ['template annotation in a CronJob', { ...podOf({}, 'CronJob'), spec: { jobTemplate: { spec: { template: { metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } }, spec: { containers: [{ name: 'app' }] } } } } } } as RuleObject,
    ['spec.jobTemplate.spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/app']],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { procMount: 'Unmasked' } }, []],
];

describe('POD-PSS-001 the rest of the restricted Pod Security profile (POD-1)', () => {
  test('metadata', () => {
    expect([RULE.id, RULE.practices, RULE.severity]).toEqual(['POD-PSS-001', ['POD-1'], RuleSeverity.ERROR]);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages name the setting and the value', () => {
    expect(RULE.check(podOf(withContainerSc({ procMount: 'Unmasked' })), ctx)[0].message).toBe('container "app" sets procMount "Unmasked" (only Default)');
    expect(RULE.check(FIXTURES[10][1], ctx)[0].message).toBe('the pod sets sysctl "kernel.msgmax", which is not in the safe set');
  });

  test('every safe sysctl passes', () => {
    const pod = podOf({ securityContext: { sysctls: SAFE_SYSCTLS.map((name) => ({ name, value: '1' })) } });
    expect([RULE.check(pod, ctx), admits(RULE.admission!, pod)]).toEqual([[], true]);
  });

  test.each([
    ['sysctls not a list', podOf({ securityContext: { sysctls: 'kernel.msgmax' } })],
    ['volume not an object', podOf({ volumes: ['nfs'] })],
    ['seLinuxOptions a string', podOf(withContainerSc({ seLinuxOptions: 'spc_t' }))],
    ['annotations a list', { ...podOf({}), metadata: { annotations: ['x'] } }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => RULE.check(object as RuleObject, ctx)).not.toThrow();
  });
});
