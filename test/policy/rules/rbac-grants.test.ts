import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  bindingLabel, bindingRole, entriesOf, groupCovers, isConfiguredAdminSubject, policyWriteGrants, reachesPolicyKind, resourceCovers,
  resourceEntriesCovering, secretGrants, serviceAccountNamespace, valuesOf,
} from '../../../src/policy/rules/rbac-grants';

const RBAC = 'rbac.authorization.k8s.io';
const ctx = ruleContext([], { controlPlaneNamespace: 'istio-cp', meshAdminGroups: ['mesh-admins'] });

describe('rbac-grants: reading RBAC rules as the authorizer does', () => {
  test('entriesOf / valuesOf: list entries with their paths, a lone string as one entry, non-strings skipped', () => {
    expect(entriesOf({ verbs: ['get', 3, null, 'list'] }, 'verbs')).toEqual([{ value: 'get', path: 'verbs[0]' }, { value: 'list', path: 'verbs[3]' }]);
    expect(entriesOf({ verbs: '*' }, 'verbs')).toEqual([{ value: '*', path: 'verbs' }]);
    expect(entriesOf({ verbs: { a: 1 } }, 'verbs')).toEqual([]);
    expect(valuesOf({}, 'verbs')).toEqual([]);
  });

  test.each([
    ['pods/exec', 'pods/exec', true], ['*', 'pods/exec', true], ['*/exec', 'pods/exec', true], ['pods/*', 'pods/exec', true],
    ['pods', 'pods/exec', false], ['*/attach', 'pods/exec', false], ['nodes/*', 'pods/exec', false],
    ['endpoints', 'endpoints', true], ['*', 'endpoints', true], ['*/endpoints', 'endpoints', false], ['endpoints/*', 'endpoints', false],
  ] as [string, string, boolean][])('resourceCovers(%s, %s) = %s', (entry, resource, covers) => {
    expect(resourceCovers(entry, resource)).toBe(covers);
    expect(resourceEntriesCovering(resource).includes(entry)).toBe(covers);
  });

  test('groupCovers: exact or *; "" is the core group', () => {
    expect([groupCovers('', ''), groupCovers('*', ''), groupCovers('apps', ''), groupCovers('*', 'discovery.k8s.io')]).toEqual([true, true, false, true]);
  });

  test.each([
    ['security.istio.io', 'authorizationpolicies', true], ['security.istio.io', 'anything', true], ['security.istio.io', '*', true],
    ['security.istio.io', 'authorizationpolicies/status', false], ['networking.istio.io', 'sidecars', true], ['extensions.istio.io', 'wasmplugins', true],
    ['telemetry.istio.io', 'telemetries', false], ['networking.k8s.io', 'networkpolicies', true], ['networking.k8s.io', '*', true],
    ['networking.k8s.io', 'ingresses', false], ['*', 'peerauthentications', true], ['*', '*', true], ['*', 'deployments', false],
    ['*', '*/status', false], ['', 'sidecars', false],
  ] as [string, string, boolean][])('reachesPolicyKind(%s, %s) = %s', (g, x, reaches) => {
    expect(reachesPolicyKind(g, x)).toBe(reaches);
  });

  test('policyWriteGrants and secretGrants, per resources entry', () => {
    // A rule is a cross product: security.istio.io "pods" is granted too (no such kind today; any
    // name in a policy group counts, so kinds added after Istio 1.30 are not missed).
    expect(policyWriteGrants({ apiGroups: ['', 'security.istio.io'], resources: ['pods', 'authorizationpolicies', '*'], verbs: ['get', 'update'] })).toEqual([
      { path: 'resources[0]', what: 'update on security.istio.io "pods"' },
      { path: 'resources[1]', what: 'update on security.istio.io "authorizationpolicies"' },
      { path: 'resources[2]', what: 'update on security.istio.io "*"' },
    ]);
    expect(policyWriteGrants({ apiGroups: ['security.istio.io'], resources: ['*'], verbs: READ_ONLY })).toEqual([]);
    expect(secretGrants({ apiGroups: ['*'], resources: ['secrets', 'configmaps', '*'], verbs: ['watch'] })).toEqual([
      { path: 'resources[0]', what: 'watch on Secrets' },
      { path: 'resources[2]', what: 'watch on Secrets (through resources "*")' },
    ]);
    expect(secretGrants({ apiGroups: ['apps'], resources: ['secrets'], verbs: ['get'] })).toEqual([]);
    expect(secretGrants({ apiGroups: [''], resources: ['secrets'], verbs: [] })).toEqual([]);
  });

  test('isConfiguredAdminSubject: configured groups and admin-namespace service accounts only', () => {
    const yes = [
      { kind: 'Group', name: 'mesh-admins' }, { kind: 'ServiceAccount', namespace: 'istio-cp', name: 'istiod' }, { kind: 'ServiceAccount', namespace: 'kube-system', name: 'x' },
      { kind: 'User', name: 'system:serviceaccount:istio-cp:istiod' }, { kind: 'Group', name: 'system:serviceaccounts:kube-system' },
    ];
    const no = [
      { kind: 'User', name: 'mesh-admins' }, { kind: 'Group', name: 'system:masters' }, { kind: 'User', name: 'system:kube-scheduler' },
      { kind: 'ServiceAccount', namespace: 'istio-system', name: 'istiod' }, { kind: 'ServiceAccount', name: 'istiod' }, { kind: 'Group', name: 'system:serviceaccounts' },
      { kind: 'User', name: 'system:serviceaccount:team-a:ci' }, null, 'mesh-admins', { kind: 'Group' },
    ];
    expect(yes.map((s) => isConfiguredAdminSubject(s, ctx.meshAdminGroups, ctx))).toEqual(yes.map(() => true));
    expect(no.map((s) => isConfiguredAdminSubject(s, ctx.meshAdminGroups, ctx))).toEqual(no.map(() => false));
  });

  test('serviceAccountNamespace', () => {
    expect([
      { kind: 'ServiceAccount', namespace: 'a', name: 'x' }, { kind: 'ServiceAccount', name: 'x' }, { kind: 'User', name: 'system:serviceaccount:b:x' },
      { kind: 'Group', name: 'system:serviceaccounts:c' }, { kind: 'Group', name: 'system:serviceaccounts' }, { kind: 'User', name: 'alice' }, null,
    ].map(serviceAccountNamespace)).toEqual(['a', null, 'b', 'c', undefined, undefined, undefined]);
  });

  test('bindingRole: Roles of the binding\'s namespace, ClusterRoles with aggregation, built-in view and power roles', () => {
    const objects: RuleObject[] = [
      { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules: [{ verbs: ['get'] }] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] }, rules: [] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'part', labels: { x: 'y', [`${RBAC}/aggregate-to-view`]: 'true' } }, rules: [{ verbs: ['list'] }] },
      // A cycle: agg2 and part2 select each other.
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'agg2', labels: { c: '2' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { c: '1' } }] } },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'part2', labels: { c: '1' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { c: '2' } }] }, rules: [{ verbs: ['x'] }] },
    ];
    const c = ruleContext(objects);
    const ref = (kind: string, roleRef: object, namespace?: string): RuleObject => ({ apiVersion: `${RBAC}/v1`, kind, metadata: { name: 'b', namespace }, roleRef });
    const sources = (b: RuleObject) => {
      const r = bindingRole(b, c);
      return r.kind === 'known' ? [r.label, ...r.rules.map((x) => `${x.source}#${x.index}`)] : r;
    };
    expect(sources(ref('RoleBinding', { kind: 'Role', name: 'r' }, 'a'))).toEqual(['Role "a/r"', 'Role "a/r"#0']);
    expect(sources(ref('RoleBinding', { kind: 'Role', name: 'r' }, 'b'))).toEqual({ kind: 'unknown' });
    expect(sources(ref('ClusterRoleBinding', { kind: 'Role', name: 'r' }))).toEqual({ kind: 'unknown' });
    expect(sources(ref('ClusterRoleBinding', { kind: 'ClusterRole', name: 'agg' }))).toEqual(['ClusterRole "agg"', 'ClusterRole "part"#0']);
    expect(sources(ref('ClusterRoleBinding', { kind: 'ClusterRole', name: 'agg2' }))).toEqual(['ClusterRole "agg2"', 'ClusterRole "part2"#0']);
    expect(sources(ref('RoleBinding', { kind: 'ClusterRole', name: 'view' }, 'a'))).toEqual(['the built-in ClusterRole "view"', 'ClusterRole "part"#0']);
    expect(sources(ref('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, 'a'))).toEqual({ kind: 'built-in', name: 'edit' });
    expect(sources(ref('ClusterRoleBinding', { kind: 'ClusterRole', name: 'nope' }))).toEqual({ kind: 'unknown' });
    expect(sources(ref('ClusterRoleBinding', 'x' as any))).toEqual({ kind: 'unknown' });
    expect(bindingLabel(ref('RoleBinding', {}, 'a'))).toBe('RoleBinding "a/b"');
    expect(bindingLabel(ref('ClusterRoleBinding', {}))).toBe('ClusterRoleBinding "b"');
  });
});

const READ_ONLY = ['get', 'list', 'watch'];
