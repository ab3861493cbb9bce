import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_WILD_001 as RULE } from '../../../src/policy/rules/rbac-wildcard';

const ctx = ruleContext([]);
const role = (...rules: object[]): RuleObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules });
const clusterRole = (...rules: object[]): RuleObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr' }, rules });
const DEPLOY = { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'update'] };

const FIXTURES: [string, RuleObject, string[]][] = [
  ['explicit lists', role(DEPLOY, { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }), []],
  ['no rules', role(), []],
  ['aggregated ClusterRole without rules', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] } }, []],
  ['wildcard verbs', role(DEPLOY, { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }), ['rules[1].verbs[0]']],
  ['wildcard resources', clusterRole({ apiGroups: ['security.istio.io'], resources: ['*'], verbs: ['get'] }), ['rules[0].resources[0]']],
  ['wildcard apiGroups', clusterRole({ apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }), ['rules[0].apiGroups[0]']],
  ['*/scale subresource wildcard', role({ apiGroups: ['apps'], resources: ['deployments', '*/scale'], verbs: ['update'] }), ['rules[0].resources[1]']],
  ['cluster-admin', clusterRole({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), ['rules[0].verbs[0]', 'rules[0].resources[0]', 'rules[0].apiGroups[0]']],
  ['nonResourceURLs are not checked here', clusterRole({ nonResourceURLs: ['/healthz/*'], verbs: ['get'] }), []],
  ['RoleBinding is another kind', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', roleRef: { name: '*' }, subjects: [] }, []],
  ['a CRD kind Role in another group', { apiVersion: 'example.com/v1', kind: 'Role', rules: [{ verbs: ['*'] }] }, []],
];

describe('RBAC-WILD-001', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('RBAC-WILD-001');
    expect(RULE.practices).toEqual(['RBAC-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.admission!.resources).toEqual([{ apiGroups: ['rbac.authorization.k8s.io'], apiVersions: ['*'], resources: ['roles', 'clusterroles'] }]);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('message names the rule, field and value', () => {
    expect(RULE.check(role({ apiGroups: ['apps'], resources: ['*/scale'], verbs: ['get'] }), ctx)[0].message).toBe('rule 0 has the wildcard "*/scale" in resources');
  });

  test('odd shapes do not throw', () => {
    expect(RULE.check({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', rules: 'x' }, ctx)).toEqual([]);
    expect(RULE.check(role(null as any, { verbs: '*' }, { verbs: [1, null] }), ctx)).toEqual([]);
  });
});
