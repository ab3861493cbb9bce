import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_CRB_001 as RULE, clusterRoleBindingAdmission } from '../../../src/policy/rules/rbac-cluster-role-binding';

const ctx = ruleContext([], { controlPlaneNamespace: 'istio-system', meshAdminGroups: ['mesh-admins@example.com'] });
const crb = (...subjects: object[]): RuleObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'b' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
  subjects,
});
const group = (name: string) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const sa = (namespace: string, name: string) => ({ kind: 'ServiceAccount', namespace, name });

const FIXTURES: [string, RuleObject, string[]][] = [
  ['mesh admin group', crb(group('mesh-admins@example.com')), []],
  ['istiod service account', crb(sa('istio-system', 'istiod')), []],
  ['kube-system service account (a component user is the API server\'s to bind)', crb(sa('kube-system', 'replicaset-controller'), user('system:kube-controller-manager')), ['subjects[1]']],
  ['system:masters is not a mesh admin group', crb(group('system:masters')), ['subjects[0]']],
  ['no subjects', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'view' } }, []],
  ['app team group', crb(group('mesh-admins@example.com'), group('team-a-devs')), ['subjects[1]']],
  ['a user, even with an admin group name', crb(user('mesh-admins@example.com')), ['subjects[0]']],
  ['app service account', crb(sa('team-a', 'deployer')), ['subjects[0]']],
  ['app service account written as a user', crb(user('system:serviceaccount:team-a:deployer')), ['subjects[0]']],
  ['control-plane service account written as a user', crb(user('system:serviceaccount:istio-system:istiod')), []],
  ['everyone', crb(group('system:authenticated'), group('system:unauthenticated'), user('system:anonymous')), ['subjects[0]', 'subjects[1]', 'subjects[2]']],
  ['all service accounts of an app namespace', crb(group('system:serviceaccounts:team-a'), group('system:serviceaccounts')), ['subjects[0]', 'subjects[1]']],
  ['subject without a name', crb({ kind: 'Group' }), ['subjects[0]']],
  ['RoleBinding is NS-1 compliant', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { namespace: 'team-a' }, subjects: [group('team-a-devs')] }, []],
];

describe('RBAC-CRB-001', () => {
  test('metadata; no static admission (the admin groups are the cluster\'s, not the rule\'s)', () => {
    expect(RULE.id).toBe('RBAC-CRB-001');
    expect(RULE.practices).toEqual(['NS-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    // A static CEL would have to leave the admin groups and the control-plane namespace out and
    // would then reject the mesh admins' own bindings and istiod's; clusterRoleBindingAdmission(ctx)
    // renders the exact check for one cluster instead.
    expect(RULE.admission).toBeUndefined();
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and clusterRoleBindingAdmission(ctx) agree: %s', (_name, object) => {
    expect(admits(clusterRoleBindingAdmission(ctx), object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('operator groups may hold ClusterRoleBindings, in check() and clusterRoleBindingAdmission(ctx) alike', () => {
    const withOperators = ruleContext([], { meshAdminGroups: ['mesh-admins'], operatorGroups: ['auditors'] });
    const object = crb(group('auditors'));
    expect(RULE.check(object, withOperators)).toEqual([]);
    expect(admits(clusterRoleBindingAdmission(withOperators), object)).toBe(true);
    expect(admits(clusterRoleBindingAdmission(ruleContext([], { meshAdminGroups: ['mesh-admins'] })), object)).toBe(false);
  });

  test('with no admin groups configured, an admin group is an app group', () => {
    const bare = ruleContext([]);
    const object = crb(group('mesh-admins@example.com'));
    expect(RULE.check(object, bare).map((v) => v.path)).toEqual(['subjects[0]']);
    expect(admits(clusterRoleBindingAdmission(bare), object)).toBe(false);
  });

  test('message names the role, the subject and who the admins are', () => {
    expect(RULE.check(crb(group('team-a-devs')), ctx)[0].message).toBe(
      'binds ClusterRole "edit" cluster-wide to Group "team-a-devs", which is not a mesh administrator '
      + '(admin groups: mesh-admins@example.com; admin service accounts: kube-system, istio-system)');
    expect(clusterRoleBindingAdmission(ctx).resources).toEqual([{ apiGroups: ['rbac.authorization.k8s.io'], apiVersions: ['*'], resources: ['clusterrolebindings'] }]);
  });

  test('odd shapes do not throw', () => {
    expect(RULE.check({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', subjects: 'x' }, ctx)).toEqual([]);
    expect(RULE.check({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', subjects: [null] }, ctx).map((v) => v.message))
      .toEqual([expect.stringContaining('a malformed subject')]);
  });
});
