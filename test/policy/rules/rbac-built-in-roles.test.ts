import { readdirSync } from 'fs';
import { join } from 'path';
import { ownRbacOutputs, readYaml } from './rbac-own-output';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_BUILTIN_001 as RULE, builtInPowerRoleOf, builtInRoleBindingAdmission } from '../../../src/policy/rules/rbac-built-in-roles';
import { describeWithShared } from '../../shared';

const RBAC = 'rbac.authorization.k8s.io';
const ctx = ruleContext([], { controlPlaneNamespace: 'istio-system', meshAdminGroups: ['mesh-admins@example.com'], operatorGroups: ['security-admins'] });
const rb = (role: { kind: string; name: string }, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'team-a' }, roleRef: { apiGroup: RBAC, ...role }, subjects,
});
const crb = (name: string, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name }, subjects,
});
const clusterRole = (name: string) => ({ kind: 'ClusterRole', name });
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });
const user = (name: string) => ({ kind: 'User', apiGroup: RBAC, name });
const sa = (namespace: string, name: string) => ({ kind: 'ServiceAccount', namespace, name });

const FIXTURES: [string, RuleObject, string[]][] = [
  ['edit for a team in its namespace', rb(clusterRole('edit'), group('team-a-devs')), ['subjects[0]']],
  ['admin for the namespace\'s own CI service account', rb(clusterRole('admin'), sa('team-a', 'ci')), ['subjects[0]']],
  ['cluster-admin cluster-wide to a team', crb('cluster-admin', group('mesh-admins@example.com'), group('team-a-devs')), ['subjects[1]']],
  ['cluster-admin to system:masters (the API server\'s own binding, not an app\'s)', crb('cluster-admin', group('system:masters')), ['subjects[0]']],
  ['a Kubernetes component user is not an admin here', rb(clusterRole('edit'), user('system:kube-controller-manager')), ['subjects[0]']],
  ['a made-up system: group', crb('edit', group('system:team-a')), ['subjects[0]']],
  ['operator groups do not count (these roles read Secrets)', crb('admin', group('security-admins')), ['subjects[0]']],
  ['a user named like the admin group', crb('admin', user('mesh-admins@example.com')), ['subjects[0]']],
  ['everyone', crb('edit', group('system:authenticated')), ['subjects[0]']],
  ['service accounts of an app namespace, as a group', rb(clusterRole('edit'), group('system:serviceaccounts:team-a')), ['subjects[0]']],
  ['an app service account written as a user', crb('cluster-admin', user('system:serviceaccount:team-a:ci')), ['subjects[0]']],
  ['a subject without a kind or name', crb('edit', { name: 'x' }, { kind: 'Group' }), ['subjects[0]', 'subjects[1]']],
  ['mesh admin group', crb('cluster-admin', group('mesh-admins@example.com')), []],
  ['control-plane and kube-system service accounts, every spelling', rb(clusterRole('edit'),
    sa('istio-system', 'istiod'), sa('kube-system', 'x'), user('system:serviceaccount:istio-system:istiod'), group('system:serviceaccounts:kube-system')), []],
  ['view is not a power role', rb(clusterRole('view'), group('team-a-devs')), []],
  ['a Role named admin is not the built-in', rb({ kind: 'Role', name: 'admin' }, group('team-a-devs')), []],
  ['a ClusterRole of another name', crb('edit-lite', group('team-a-devs')), []],
  ['no subjects', { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }, []],
  ['other kind', { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'edit' }, roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [group('x')] }, []],
];

describe('RBAC-BUILTIN-001 the built-in cluster-admin, admin and edit roles are bound only to mesh admins (NS-1, RBAC-1)', () => {
  test('metadata; no static admission (the admin groups are the cluster\'s)', () => {
    expect(RULE.id).toBe('RBAC-BUILTIN-001');
    expect(RULE.practices).toEqual(['NS-1', 'RBAC-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.kinds).toEqual([`${RBAC}/RoleBinding`, `${RBAC}/ClusterRoleBinding`]);
    expect(RULE.admission).toBeUndefined();
    expect(builtInRoleBindingAdmission(ctx).resources).toEqual([{ apiGroups: [RBAC], apiVersions: ['*'], resources: ['rolebindings', 'clusterrolebindings'] }]);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and builtInRoleBindingAdmission(ctx) agree: %s', (_name, object) => {
    expect(admits(builtInRoleBindingAdmission(ctx), object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('with no admin groups configured, the admin group is a team group; the control-plane namespace comes from the context', () => {
    const bare = ruleContext([], { controlPlaneNamespace: 'istio-cp' });
    for (const object of [crb('edit', group('mesh-admins@example.com')), crb('edit', sa('istio-system', 'istiod'))]) {
      expect(RULE.check(object, bare).map((v) => v.path)).toEqual(['subjects[0]']);
      expect(admits(builtInRoleBindingAdmission(bare), object)).toBe(false);
    }
    expect(RULE.check(crb('edit', sa('istio-cp', 'istiod')), bare)).toEqual([]);
    expect(admits(builtInRoleBindingAdmission(bare), crb('edit', sa('istio-cp', 'istiod')))).toBe(true);
  });

  test('messages say where, to whom, who the admins are and what the role grants', () => {
    expect(RULE.check(rb(clusterRole('edit'), group('team-a-devs')), ctx)[0].message).toBe(
      'binds the built-in ClusterRole "edit" in namespace "team-a" to Group "team-a-devs", which is not a mesh administrator '
      + '(admin groups: mesh-admins@example.com; admin service accounts: kube-system, istio-system): edit grants Secrets, pods/exec, '
      + 'impersonation of the namespace\'s service accounts, NetworkPolicies, and every kind aggregated into it (on many clusters the Istio kinds)');
    expect(RULE.check(crb('cluster-admin', group('x')), ctx)[0].message).toMatch(/"cluster-admin" cluster-wide .*: cluster-admin grants everything, in every namespace$/);
  });

  test('builtInPowerRoleOf', () => {
    expect(builtInPowerRoleOf(crb('admin'))).toBe('admin');
    expect(builtInPowerRoleOf(rb({ kind: 'Role', name: 'edit' }))).toBeUndefined();
    expect(builtInPowerRoleOf({ roleRef: 'cluster-admin' })).toBeUndefined();
  });

  test('odd shapes do not throw', () => {
    for (const roleRef of [undefined, null, 'cluster-admin', { kind: 'ClusterRole' }, { kind: 'ClusterRole', name: 3 }]) {
      expect(RULE.check({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', roleRef, subjects: [group('x')] } as RuleObject, ctx)).toEqual([]);
    }
    expect(RULE.check({ ...crb('edit'), subjects: 'x' }, ctx)).toEqual([]);
    expect(RULE.check({ ...crb('edit'), subjects: [null] }, ctx).map((v) => v.message)).toEqual([expect.stringContaining('a malformed subject')]);
  });

  test.each(ownRbacOutputs())('the library\'s own output passes: $name', ({ objects, ctx: own }) => {
    expect(own.meshAdminGroups).toContain('mesh-admins');
    expect(objects.flatMap((o) => RULE.check(o, own))).toEqual([]);
    expect(objects.filter((o) => !admits(builtInRoleBindingAdmission(own), o))).toEqual([]);
  });
});

describeWithShared('external-corpus', 'RBAC-BUILTIN-001 agrees with Kyverno restrict-binding-clusteradmin', (dir) => {
  const folder = join(dir, 'kyverno/other/restrict-binding-clusteradmin');
  const files = readdirSync(folder).sort();
  const kyvernoCtx = ruleContext([]);

  test.each(files.filter((f) => f.includes('-good--')))('good: %s passes (not a built-in power role)', (f) => {
    expect(RULE.check(readYaml(join(folder, f)), kyvernoCtx)).toEqual([]);
  });

  test.each(files.filter((f) => f.startsWith('crb-bad--')))('bad: %s (cluster-admin to a group or an app service account) fails', (f) => {
    expect(RULE.check(readYaml(join(folder, f)), kyvernoCtx).map((v) => v.path)).toEqual(['subjects[0]']);
  });

  test.each(files.filter((f) => f.startsWith('rb-bad--')))('deliberate difference: %s refers to a Role named cluster-admin, not the built-in', (f) => {
    // Kyverno matches roleRef.name alone. In RBAC a RoleBinding's `kind: Role` reference names a
    // Role of the binding's namespace: it grants what that Role says (nothing, if it does not
    // exist), never the built-in ClusterRole. The practice is about the built-ins' power.
    const object = readYaml(join(folder, f));
    expect(object.roleRef).toMatchObject({ kind: 'Role', name: 'cluster-admin' });
    expect(RULE.check(object, kyvernoCtx)).toEqual([]);
    expect(RULE.check({ ...object, roleRef: { ...object.roleRef, kind: 'ClusterRole' } }, kyvernoCtx).map((v) => v.path)).toEqual(['subjects[0]']);
  });
});
