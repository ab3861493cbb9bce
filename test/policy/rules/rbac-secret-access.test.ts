import { readdirSync } from 'fs';
import { join } from 'path';
import { CR, R, RBAC, clusterRole, crb, group, ownRbacOutputs, readYaml, rb, role, sa, user } from './rbac-own-output';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_CA_001 } from '../../../src/policy/rules/rbac-ca-secrets';
import { RBAC_SECRET_001 as RULE } from '../../../src/policy/rules/rbac-secret-access';
import { describeWithShared } from '../../shared';

const READ_SECRETS = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] };
const WRITE_SECRETS = { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update'] };
const READ_CONFIGMAPS = { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] };


function run(objects: RuleObject[], overrides: { meshAdminGroups?: string[]; operatorGroups?: string[]; controlPlaneNamespace?: string } = {}) {
  return RULE.checkAll!(ruleContext(objects, { controlPlaneNamespace: 'istio-system', meshAdminGroups: ['mesh-admins'], operatorGroups: ['auditors'], ...overrides }))
    .map((r) => ({ object: `${r.object?.kind}/${r.object?.metadata?.name}`, path: r.violation.path, message: r.violation.message }));
}
const paths = (objects: RuleObject[]) => run(objects).map((v) => [v.object, v.path]);

describe('RBAC-SECRET-001 Secrets only for mesh admins and a namespace\'s own service accounts (CA-1, RBAC-1)', () => {
  test('metadata; check() is per object and finds nothing (it needs the bindings and roles together); no admission', () => {
    expect(RULE.id).toBe('RBAC-SECRET-001');
    expect(RULE.practices).toEqual(['CA-1', 'RBAC-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.kinds).toEqual([]);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.check(crb('b', 'secret-reader', group('team-a')), ruleContext([]))).toEqual([]);
  });

  test('a namespace\'s own service accounts may hold Secrets there, in every spelling', () => {
    expect(paths([
      role('team-a', 'r', READ_SECRETS, WRITE_SECRETS),
      rb('team-a', 'b', R('r'), sa('team-a', 'app'), user('system:serviceaccount:team-a:ci'), group('system:serviceaccounts:team-a')),
    ])).toEqual([]);
  });

  test('a ClusterRole reused by RoleBindings per namespace, for each namespace\'s workloads', () => {
    expect(paths([
      clusterRole('secret-reader', [READ_SECRETS]),
      rb('team-a', 'b', CR('secret-reader'), sa('team-a', 'app')),
      rb('team-b', 'b', CR('secret-reader'), sa('team-b', 'app')),
    ])).toEqual([]);
  });

  test('mesh admins anywhere; operators, system: names and other admin spellings are not admins here', () => {
    expect(paths([
      clusterRole('secret-reader', [READ_SECRETS]),
      crb('admins', 'secret-reader', group('mesh-admins'), sa('istio-system', 'istiod'), sa('kube-system', 'backup'), group('system:serviceaccounts:istio-system')),
      crb('others', 'secret-reader', group('auditors'), user('system:kube-controller-manager'), group('system:masters')),
    ])).toEqual([['ClusterRoleBinding/others', 'subjects[0]'], ['ClusterRoleBinding/others', 'subjects[1]'], ['ClusterRoleBinding/others', 'subjects[2]']]);
  });

  test('cluster-wide to a team or a workload: Secrets of every namespace', () => {
    const out = run([clusterRole('secret-reader', [READ_CONFIGMAPS, READ_SECRETS]), crb('b', 'secret-reader', group('team-a'), sa('team-a', 'app'))]);
    expect(out.map((v) => v.path)).toEqual(['subjects[0]', 'subjects[1]']);
    expect(out[0].message).toBe('gives Group "team-a" Secrets of every namespace: ClusterRole "secret-reader" rule 1 grants get, list on Secrets '
      + '(only mesh administrators (admin groups: mesh-admins; service accounts of kube-system, istio-system) and a namespace\'s own service accounts get Secrets)');
  });

  test('people never get Secrets, even in their own namespace (the deployer and viewer roles stay Secret-free)', () => {
    const out = run([
      role('team-a', 'app-deployer', READ_CONFIGMAPS, WRITE_SECRETS),
      rb('team-a', 'app-deployers', R('app-deployer'), group('team-a-devs'), user('alice@example.com'), sa('team-a', 'ci')),
    ]);
    expect(out.map((v) => v.path)).toEqual(['subjects[0]', 'subjects[1]']);
    expect(out[0].message).toMatch(/^gives Group "team-a-devs" Secrets of namespace "team-a", though people \(and the deployer and viewer roles\) get no Secrets: Role "team-a\/app-deployer" rule 1 grants create, update on Secrets/);
  });

  test('a service account of another namespace: Secrets outside its own namespace', () => {
    const out = run([
      role('team-a', 'r', READ_SECRETS),
      rb('team-a', 'b', R('r'), sa('argocd', 'argocd-application-controller'), user('system:serviceaccount:team-b:x'), group('system:serviceaccounts:team-b'),
        { kind: 'ServiceAccount', name: 'no-namespace' }),
    ]);
    expect(out.map((v) => v.path)).toEqual(['subjects[0]', 'subjects[1]', 'subjects[2]', 'subjects[3]']);
    expect(out[0].message).toMatch(/^gives ServiceAccount argocd\/argocd-application-controller Secrets of namespace "team-a", outside its own namespace "argocd": /);
    expect(out[3].message).toMatch(/outside its own namespace \(it has none\): /);
  });

  test('everyone groups count as people', () => {
    expect(paths([role('team-a', 'r', READ_SECRETS), rb('team-a', 'b', R('r'), group('system:authenticated'), group('system:serviceaccounts'))]))
      .toEqual([['RoleBinding/b', 'subjects[0]'], ['RoleBinding/b', 'subjects[1]']]);
  });

  test('any verb and "*" count; resources "*" and group "*" count; other groups and resources do not', () => {
    const objects = [
      role('a', 'star', { apiGroups: ['*'], resources: ['*'], verbs: ['watch'] }),
      role('a', 'other-group', { apiGroups: ['batch'], resources: ['secrets'], verbs: ['*'] }),
      role('a', 'no-verbs', { apiGroups: [''], resources: ['secrets'], verbs: [] }),
      role('a', 'lone-string', { apiGroups: [''], resources: 'secrets', verbs: '*' }),
      ...['star', 'other-group', 'no-verbs', 'lone-string'].map((n) => rb('a', n, R(n), group('team-a'))),
    ];
    expect(paths(objects)).toEqual([['RoleBinding/star', 'subjects[0]'], ['RoleBinding/lone-string', 'subjects[0]']]);
  });

  test('the control-plane namespace: reads are RBAC-CA-001\'s (reported once), write-only grants are reported here', () => {
    const objects = [
      role('istio-system', 'reader', READ_SECRETS),
      role('istio-system', 'writer', WRITE_SECRETS),
      rb('istio-system', 'reader', R('reader'), group('team-a')),
      rb('istio-system', 'writer', R('writer'), group('team-a'), sa('istio-system', 'istiod')),
    ];
    expect(paths(objects)).toEqual([['RoleBinding/writer', 'subjects[0]']]);
    expect(RBAC_CA_001.checkAll!(ruleContext(objects, { meshAdminGroups: ['mesh-admins'] })).map((r) => r.object?.metadata?.name)).toEqual(['reader']);
  });

  test('built-in power roles are RBAC-BUILTIN-001\'s; the built-in view gains Secrets only through aggregate-to-view objects', () => {
    expect(paths([
      rb('team-a', 'edit', CR('edit'), group('team-a')),
      crb('admin', 'admin', group('team-a')),
      crb('root', 'cluster-admin', group('team-a')),
      rb('team-a', 'view', CR('view'), group('team-a')),
    ])).toEqual([]);
    expect(paths([
      clusterRole('leaky-view', [READ_SECRETS], { [`${RBAC}/aggregate-to-view`]: 'true' }),
      rb('team-a', 'view', CR('view'), group('team-a')),
    ])).toEqual([['RoleBinding/view', 'subjects[0]']]);
  });

  test('aggregation among the objects is followed, transitively', () => {
    const out = run([
      clusterRole('top', [], undefined, { clusterRoleSelectors: [{ matchLabels: { 'agg/top': 'true' } }] }),
      clusterRole('middle', [], { 'agg/top': 'true' }, { clusterRoleSelectors: [{ matchExpressions: [{ key: 'agg/middle', operator: 'Exists' }] }] }),
      clusterRole('leaf', [READ_SECRETS], { 'agg/middle': 'x' }),
      clusterRole('unrelated', [READ_SECRETS]),
      crb('b', 'top', group('team-a')),
    ]);
    expect(out.map((v) => v.path)).toEqual(['subjects[0]']);
    expect(out[0].message).toContain(': ClusterRole "leaf" rule 0 grants get, list on Secrets');
  });

  test('unknown roles cannot be judged; a RoleBinding refers to a Role of its own namespace only', () => {
    expect(paths([
      role('team-b', 'r', READ_SECRETS),
      rb('team-a', 'b', R('r'), group('team-a')),
      crb('c', 'custom-unknown', group('team-a')),
      crb('d', 'r', group('team-a')),
    ])).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    expect(run([
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'x' }, rules: 'x', aggregationRule: { clusterRoleSelectors: 'x' } },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'y' }, aggregationRule: { clusterRoleSelectors: [null, { matchExpressions: 'x' }] } },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'z', labels: 'x' as any }, rules: [READ_SECRETS] },
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { namespace: 'a' }, roleRef: 'x', subjects: 'x' },
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', roleRef: { kind: 'Role', name: 'r' }, subjects: [group('x')] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'z' }, subjects: [null, 'x'] },
    ]).map((v) => v.message)).toEqual([expect.stringContaining('a malformed subject'), expect.stringContaining('a malformed subject')]);
  });

  test.each(ownRbacOutputs())('the library\'s own output passes: $name', ({ objects, ctx }) => {
    // MeshRoleSets gives the mesh admins the control-plane Secrets through a Role there (RBAC-CA-001's
    // ground); no other role the library writes names Secrets.
    expect(objects.filter((o) => o.kind === 'Role' && o.metadata?.name === 'mesh-admin-secrets')).toHaveLength(1);
    expect(RULE.checkAll!(ctx)).toEqual([]);
  });
});

describeWithShared('external-corpus', 'RBAC-SECRET-001 against Kyverno restrict-secret-role-verbs (judged by who holds the role)', (dir) => {
  const folder = join(dir, 'kyverno/other/restrict-secret-role-verbs');
  const files = readdirSync(folder).filter((f) => f.startsWith('cr-')).sort();
  const bound = (f: string, binding: (name: string) => RuleObject) => {
    const cr = readYaml(join(folder, f));
    return run([cr, binding(cr.metadata!.name!)]).map((v) => v.path);
  };

  test.each(files.filter((f) => f.includes('-bad--')))('bad (reads Secrets): %s fails bound cluster-wide to a team', (f) => {
    expect(bound(f, (n) => crb('b', n, group('team-a')))).toEqual(['subjects[0]']);
  });

  test.each(files.filter((f) => f.includes('-good--')))('good: %s passes bound per namespace to that namespace\'s workloads', (f) => {
    expect(bound(f, (n) => rb('team-a', 'b', CR(n), sa('team-a', 'app')))).toEqual([]);
  });

  test.each(['cr-good--goodcr01.yaml', 'cr-good--goodcr02.yaml'])('good without Secrets: %s passes whoever holds it', (f) => {
    expect(bound(f, (n) => crb('b', n, group('team-a')))).toEqual([]);
  });

  test('deliberate difference: good goodcr03 (create, update, patch on Secrets) fails cluster-wide to a team (CA-1)', () => {
    // Kyverno restricts the read verbs only. Writing Secrets in every namespace is as bad: a
    // created service-account-token Secret yields a token for any service account, and a replaced
    // TLS Secret (or the CA's cacerts) swaps keys.
    expect(bound('cr-good--goodcr03.yaml', (n) => crb('b', n, group('team-a')))).toEqual(['subjects[0]']);
  });

  test('deliberate difference: a role alone is no finding; the same bad role bound per namespace to its workloads passes', () => {
    for (const f of files.filter((x) => x.includes('-bad--'))) {
      expect(run([readYaml(join(folder, f))])).toEqual([]);
      expect(bound(f, (n) => rb('team-a', 'b', CR(n), sa('team-a', 'app')))).toEqual([]);
    }
  });
});
