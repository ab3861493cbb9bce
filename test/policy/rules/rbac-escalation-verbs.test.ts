import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_ESC_001 as RULE, wildcardEscalation } from '../../../src/policy/rules/rbac-escalation-verbs';

const ctx = ruleContext([]);
const RBAC = 'rbac.authorization.k8s.io';
const role = (...rules: object[]): RuleObject => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules });
const clusterRole = (...rules: object[]): RuleObject => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'cr' }, rules });

const FIXTURES: [string, RuleObject, string[]][] = [
  ['deployer role', role({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'update'] }), []],
  ['managing RoleBindings without bind', role({ apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create', 'delete'] }), []],
  ['bind', role({ apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['get', 'bind'] }), ['rules[0].verbs[1]']],
  ['escalate', clusterRole({ apiGroups: [RBAC], resources: ['roles'], verbs: ['escalate'] }), ['rules[0].verbs[0]']],
  ['impersonate', clusterRole({ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }), ['rules[0].verbs[0]']],
  ['named verb counts on any resource', role({ apiGroups: [''], resources: ['configmaps'], verbs: ['bind'] }), ['rules[0].verbs[0]']],
  ['verbs are case-sensitive in RBAC', role({ apiGroups: [RBAC], resources: ['roles'], verbs: ['Bind'] }), []],
  ['* on roles', role({ apiGroups: [RBAC], resources: ['roles'], verbs: ['*'] }), ['rules[0].verbs[0]']],
  ['* on serviceaccounts (impersonation)', role({ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['*'] }), ['rules[0].verbs[0]']],
  ['* on userextras/scopes', clusterRole({ apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes'], verbs: ['*'] }), ['rules[0].verbs[0]']],
  ['* everything', clusterRole({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), ['rules[0].verbs[0]']],
  ['* on configmaps is not escalation (RBAC-WILD-001 reports it)', role({ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }), []],
  ['* on roles in another group', role({ apiGroups: ['apps'], resources: ['roles'], verbs: ['*'] }), []],
  ['* on serviceaccounts/token is a subresource, not impersonation', role({ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['*'] }), []],
  ['* without apiGroups', role({ resources: ['roles'], verbs: ['*'] }), []],
  ['several rules', clusterRole({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }, { apiGroups: [''], resources: ['users'], verbs: ['impersonate', 'bind'] }), ['rules[1].verbs[0]', 'rules[1].verbs[1]']],
  ['other kind', { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', subjects: [], roleRef: { name: 'bind' } }, []],
];

describe('RBAC-ESC-001', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('RBAC-ESC-001');
    expect(RULE.practices).toEqual(['RBAC-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages', () => {
    expect(RULE.check(role({ apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'] }), ctx)[0].message).toBe('rule 0 grants "bind"');
    expect(RULE.check(clusterRole({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), ctx)[0].message)
      .toBe('rule 0 grants verb "*" on *, which includes escalate and bind and impersonate');
  });

  test('wildcardEscalation', () => {
    expect(wildcardEscalation({ apiGroups: ['', RBAC], resources: ['roles', 'users'] })).toEqual(['escalate and bind', 'impersonate']);
    expect(wildcardEscalation({ apiGroups: ['apps'], resources: ['*'] })).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    expect(RULE.check(role({ verbs: 'bind' }, { verbs: [null, 3] }, 'x' as any), ctx)).toEqual([]);
  });
});
