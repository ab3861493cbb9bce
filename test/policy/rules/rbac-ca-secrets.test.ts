import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_CA_001 as RULE } from '../../../src/policy/rules/rbac-ca-secrets';

const RBAC = 'rbac.authorization.k8s.io';
const READ_SECRETS = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] };
const READ_CONFIGMAPS = { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] };
const role = (namespace: string, name: string, ...rules: object[]): RuleObject => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name, namespace }, rules });
const clusterRole = (name: string, rules: object[], labels?: { [key: string]: string }, aggregationRule?: object): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name, ...(labels ? { labels } : {}) }, rules, ...(aggregationRule ? { aggregationRule } : {}),
});
const roleBinding = (namespace: string, name: string, roleRef: { kind: string; name: string }, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name, namespace }, roleRef: { apiGroup: RBAC, ...roleRef }, subjects,
});
const crb = (name: string, roleName: string, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName }, subjects,
});
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });
const sa = (namespace: string, name: string) => ({ kind: 'ServiceAccount', namespace, name });

function run(objects: RuleObject[], meshAdminGroups = ['mesh-admins']) {
  return RULE.checkAll!(ruleContext(objects, { controlPlaneNamespace: 'istio-system', meshAdminGroups }))
    .map((r) => ({ object: `${r.object?.kind}/${r.object?.metadata?.name}`, path: r.violation.path, message: r.violation.message }));
}

describe('RBAC-CA-001', () => {
  test('metadata; check() is per object and finds nothing (the rule needs the bindings and roles together)', () => {
    expect(RULE.id).toBe('RBAC-CA-001');
    expect(RULE.practices).toEqual(['CA-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.check(roleBinding('istio-system', 'x', { kind: 'ClusterRole', name: 'admin' }, group('team-a')), ruleContext([]))).toEqual([]);
  });

  test('mesh admins may read CA secrets', () => {
    expect(run([
      role('istio-system', 'ca-reader', READ_SECRETS),
      roleBinding('istio-system', 'ca-reader', { kind: 'Role', name: 'ca-reader' }, group('mesh-admins'), sa('istio-system', 'istiod'), sa('kube-system', 'backup')),
    ])).toEqual([]);
  });

  test('a Role in the control-plane namespace bound to an app group', () => {
    expect(run([
      role('istio-system', 'ca-reader', READ_CONFIGMAPS, READ_SECRETS),
      roleBinding('istio-system', 'ca-reader', { kind: 'Role', name: 'ca-reader' }, group('mesh-admins'), group('auditors')),
    ])).toEqual([{
      object: 'RoleBinding/ca-reader',
      path: 'subjects[1]',
      message: 'lets Group "auditors", which is not a mesh administrator, read Secrets in the control-plane namespace "istio-system" '
        + '(where the mesh CA key lives): Role "istio-system/ca-reader" rule 1 reads Secrets',
    }]);
  });

  test('resourceNames does not make it safe: it can name the CA secret itself', () => {
    expect(run([
      role('istio-system', 'r', { ...READ_SECRETS, resourceNames: ['istio-ca-secret'] }),
      roleBinding('istio-system', 'b', { kind: 'Role', name: 'r' }, sa('team-a', 'app')),
    ]).map((v) => v.path)).toEqual(['subjects[0]']);
  });

  test('verbs that do not read, and other resources, are fine', () => {
    expect(run([
      role('istio-system', 'r', READ_CONFIGMAPS, { apiGroups: [''], resources: ['secrets'], verbs: ['create'] }),
      roleBinding('istio-system', 'b', { kind: 'Role', name: 'r' }, group('team-a')),
    ])).toEqual([]);
  });

  test('roles and bindings in other namespaces are out of scope', () => {
    expect(run([
      role('team-a', 'r', READ_SECRETS),
      roleBinding('team-a', 'b', { kind: 'Role', name: 'r' }, group('team-a')),
      roleBinding('team-a', 'b2', { kind: 'ClusterRole', name: 'admin' }, group('team-a')),
      // a RoleBinding in istio-system cannot refer to a Role in team-a
      roleBinding('istio-system', 'b3', { kind: 'Role', name: 'r' }, group('team-a')),
    ])).toEqual([]);
  });

  test('a ClusterRole that reads secrets, bound in the control-plane namespace or cluster-wide', () => {
    const reader = clusterRole('secret-reader', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }]);
    expect(run([
      reader,
      roleBinding('istio-system', 'rb', { kind: 'ClusterRole', name: 'secret-reader' }, group('team-a')),
      crb('crb', 'secret-reader', group('mesh-admins'), sa('monitoring', 'prometheus')),
    ]).map((v) => [v.object, v.path])).toEqual([['RoleBinding/rb', 'subjects[0]'], ['ClusterRoleBinding/crb', 'subjects[1]']]);
  });

  test('built-in ClusterRoles that read secrets count without being among the objects', () => {
    const out = run([
      roleBinding('istio-system', 'team-admin', { kind: 'ClusterRole', name: 'admin' }, group('team-a')),
      crb('everyone-edit', 'edit', group('system:authenticated')),
      crb('root', 'cluster-admin', group('system:masters')),
      crb('viewers', 'view', group('team-a')),
    ]);
    expect(out.map((v) => [v.object, v.path])).toEqual([
      ['RoleBinding/team-admin', 'subjects[0]'], ['ClusterRoleBinding/everyone-edit', 'subjects[0]'], ['ClusterRoleBinding/root', 'subjects[0]'],
    ]);
    expect(out[0].message).toMatch(/the built-in ClusterRole "admin" reads Secrets$/);
  });

  test('a ClusterRole named like a built-in among the objects is read as written', () => {
    expect(run([clusterRole('edit', [READ_CONFIGMAPS]), crb('b', 'edit', group('team-a'))])).toEqual([]);
  });

  test('aggregated ClusterRoles read secrets when an aggregated role does (transitively)', () => {
    const out = run([
      clusterRole('top', [], undefined, { clusterRoleSelectors: [{ matchLabels: { 'agg/top': 'true' } }] }),
      clusterRole('middle', [], { 'agg/top': 'true' }, { clusterRoleSelectors: [{ matchExpressions: [{ key: 'agg/middle', operator: 'Exists' }] }] }),
      clusterRole('leaf', [READ_SECRETS], { 'agg/middle': 'yes' }),
      clusterRole('unrelated', [READ_SECRETS], { other: 'true' }),
      crb('b', 'top', group('team-a')),
    ]);
    expect(out.map((v) => [v.object, v.path])).toEqual([['ClusterRoleBinding/b', 'subjects[0]']]);
    expect(out[0].message).toMatch(/ClusterRole "top" aggregates "middle", which reads Secrets$/);
  });

  test('bindings to unknown roles cannot be judged', () => {
    expect(run([crb('b', 'custom-unknown', group('team-a')), roleBinding('istio-system', 'r', { kind: 'Role', name: 'nope' }, group('team-a'))])).toEqual([]);
  });

  test('the control-plane namespace comes from the context', () => {
    const objects = [role('istio-cp', 'r', READ_SECRETS), roleBinding('istio-cp', 'b', { kind: 'Role', name: 'r' }, group('team-a'))];
    expect(RULE.checkAll!(ruleContext(objects, { controlPlaneNamespace: 'istio-cp' })).map((r) => r.violation.path)).toEqual(['subjects[0]']);
    expect(RULE.checkAll!(ruleContext(objects))).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    expect(run([
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'x' }, rules: 'x', aggregationRule: { clusterRoleSelectors: 'x' } },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'y' }, aggregationRule: { clusterRoleSelectors: [null, { matchExpressions: 'x' }] } },
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { namespace: 'istio-system' }, roleRef: 'x', subjects: 'x' },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [null] },
    ]).map((v) => v.message)).toEqual([expect.stringContaining('a malformed subject')]);
  });
});
