import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { CR, R, RBAC, clusterRole, crb, group, ownRbacOutputs, rb, role, sa, user } from './rbac-own-output';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  ADMISSION_EXEMPT_RESOURCES, RBAC_ADMISSION_001 as RULE, admissionWriteGrants, reachesAdmissionKind,
} from '../../../src/policy/rules/rbac-admission-writers';
import { RBAC_BUILTIN_001 } from '../../../src/policy/rules/rbac-built-in-roles';
import { RBAC_POLICY_001 } from '../../../src/policy/rules/rbac-policy-writers';

const ADM = 'admissionregistration.k8s.io';
const READ = ['get', 'list', 'watch'];

const rule = (apiGroups: string[] | string, resources: string[] | string, verbs: string[] | string, more: object = {}) =>
  ({ apiGroups, resources, verbs, ...more });

const CTX = { controlPlaneNamespace: 'istio-system', meshAdminGroups: ['mesh-admins'], operatorGroups: ['security-admins', 'auditors'] };

function run(objects: RuleObject[], overrides: { meshAdminGroups?: string[]; operatorGroups?: string[]; controlPlaneNamespace?: string } = {}) {
  return RULE.checkAll!(ruleContext(objects, { ...CTX, ...overrides }))
    .map((r) => ({ object: `${r.object?.kind}/${r.object?.metadata?.name}`, path: r.violation.path, message: r.violation.message }));
}
const pathsOf = (objects: RuleObject[], overrides = {}) => run(objects, overrides).map((v) => [v.object, v.path]);

/** A ClusterRole with `rules`, bound cluster-wide to a team group: the violations' paths. */
const teamWith = (...rules: object[]) =>
  pathsOf([clusterRole('r', [rule(['apps'], ['deployments'], ['get', 'create', 'update']), ...rules]), crb('b', 'r', group('team-a-devs'))]).map(([, p]) => p);

describe('RBAC-ADMISSION-001 only mesh administrators are bound to roles that can change admission control (RBAC-1, OPS-1)', () => {
  test('metadata; checkAll only, no admission', () => {
    expect(RULE.id).toBe('RBAC-ADMISSION-001');
    expect(RULE.practices).toEqual(['RBAC-1', 'OPS-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.since).toBe('2');
    expect(RULE.kinds).toEqual([]);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.admissionFor).toBeUndefined();
    expect(RULE.check(crb('b', 'r', group('x')), ruleContext([]))).toEqual([]);
  });

  test('the resources are those upstream IsExemptAdmissionConfigurationResource exempts', () => {
    expect([...ADMISSION_EXEMPT_RESOURCES].sort()).toEqual([
      'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings', 'mutatingwebhookconfigurations',
      'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations',
    ]);
  });

  // BAD: a team group bound cluster-wide to a role with this rule.
  test.each([
    ['everything (* on * in *)', rule(['*'], ['*'], ['*'])],
    ['ValidatingAdmissionPolicies update', rule([ADM], ['validatingadmissionpolicies'], ['update'])],
    ['ValidatingAdmissionPolicyBindings patch (move to Audit)', rule([ADM], ['validatingadmissionpolicybindings'], ['patch'])],
    ['ValidatingWebhookConfigurations create', rule([ADM], ['validatingwebhookconfigurations'], ['create'])],
    ['MutatingWebhookConfigurations delete', rule([ADM], ['mutatingwebhookconfigurations'], ['delete'])],
    ['MutatingAdmissionPolicies', rule([ADM], ['mutatingadmissionpolicies'], ['create'])],
    ['MutatingAdmissionPolicyBindings', rule([ADM], ['mutatingadmissionpolicybindings'], ['deletecollection'])],
    ['every kind of admissionregistration.k8s.io', rule([ADM], ['*'], ['create'])],
    ['validatingadmissionpolicies in group *', rule(['*'], ['validatingadmissionpolicies'], ['delete'])],
    ['resources * in group *, write verbs', rule(['*'], ['*'], ['update'])],
    ['verb * on webhooks', rule([ADM], ['validatingwebhookconfigurations'], ['*'])],
    ['verbs as a lone string', rule([ADM], ['validatingadmissionpolicies'], '*')],
    ['apiGroups and resources as lone strings', rule(ADM, 'validatingadmissionpolicybindings', ['update'])],
    ['writes narrowed by resourceNames (a named policy still admits whatever it is made to)',
      rule([ADM], ['validatingadmissionpolicies'], ['update', 'patch'], { resourceNames: ['secure-mesh-rbac-wild-001'] })],
  ])('a team bound cluster-wide to a role with %s fails', (_name, r) => {
    expect(teamWith(r)).toEqual(['subjects[0]']);
  });

  // GOOD: a team group bound cluster-wide to a role with this rule.
  test.each([
    ['get, list on admission configuration', rule([ADM], ['*'], ['get', 'list'])],
    ['reading everything', rule(['*'], ['*'], READ)],
    ['status subresources', rule([ADM], ['validatingadmissionpolicies/status'], ['update', 'patch'])],
    ['*/status in group *', rule(['*'], ['*/status'], ['update'])],
    ['*/* in group *', rule(['*'], ['*/*'], ['update'])],
    ['escalate and bind (not relevant here)', rule([ADM], ['validatingadmissionpolicies'], ['escalate', 'bind'])],
    ['admission names in the core group', rule([''], ['validatingadmissionpolicies'], ['create'])],
    ['admission names in another group', rule(['apps'], ['*', 'mutatingwebhookconfigurations'], ['create'])],
    ['other kinds in group *', rule(['*'], ['deployments', 'configmaps'], ['create'])],
    ['the exception registries (the guardrails limit their writers by identity)',
      rule([''], ['configmaps'], ['update', 'patch'], { resourceNames: ['secure-mesh-exceptions'] })],
    ['ConfigMaps in general', rule([''], ['configmaps'], ['*'])],
    ['mesh policy writes (RBAC-POLICY-001\'s)', rule(['security.istio.io'], ['*'], ['*'])],
  ])('a team bound cluster-wide to a role with %s passes', (_name, r) => {
    expect(teamWith(r)).toEqual([]);
  });

  test('who may hold admission writes: mesh admin groups and control-plane / kube-system service accounts only', () => {
    const objects = [
      clusterRole('guardrail-owner', [rule([ADM], ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'], ['get', 'update', 'delete'])]),
      crb('ok', 'guardrail-owner', group('mesh-admins'), sa('istio-system', 'istiod'), sa('kube-system', 'x'),
        user('system:serviceaccount:istio-system:mesh-operator'), group('system:serviceaccounts:kube-system')),
      crb('not-ok', 'guardrail-owner',
        group('security-admins'), // operator groups do not count here (unlike RBAC-POLICY-001)
        group('auditors'),
        user('mesh-admins'),
        user('system:kube-controller-manager'),
        group('system:masters'),
        sa('team-a', 'ci'),
        group('system:serviceaccounts:team-a'),
        sa('argocd', 'argocd-application-controller'),
        { kind: 'ServiceAccount', name: 'no-namespace' },
        { kind: 'Group' }),
    ];
    expect(pathsOf(objects)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => ['ClusterRoleBinding/not-ok', `subjects[${i}]`]));
  });

  test('an operator group bound to a writer is reported here and not by RBAC-POLICY-001', () => {
    const objects = [clusterRole('w', [rule(['*'], ['*'], ['*'])]), crb('security', 'w', group('security-admins'))];
    expect(pathsOf(objects)).toEqual([['ClusterRoleBinding/security', 'subjects[0]']]);
    expect(RBAC_POLICY_001.checkAll!(ruleContext(objects, CTX))).toEqual([]);
  });

  test('the control-plane namespace follows the context', () => {
    const objects = [clusterRole('w', [rule([ADM], ['*'], ['patch'])]), crb('b', 'w', sa('mesh-system', 'istiod'), sa('istio-system', 'istiod'))];
    expect(pathsOf(objects, { controlPlaneNamespace: 'mesh-system' })).toEqual([['ClusterRoleBinding/b', 'subjects[1]']]);
  });

  test('message names the subject, the role, the rule index, the grant and who may', () => {
    const out = run([
      clusterRole('r', [rule(['apps'], ['deployments'], ['create']), rule([ADM], ['validatingadmissionpolicybindings'], ['get', 'patch'])]),
      crb('b', 'r', group('team-a-devs')),
    ]);
    expect(out).toHaveLength(1);
    expect(out[0].message).toBe('lets Group "team-a-devs", which is not a mesh administrator, change admission control, which Kubernetes '
      + 'does not check by admission: ClusterRole "r" rule 1 grants patch on admissionregistration.k8s.io "validatingadmissionpolicybindings" '
      + '(admin groups: mesh-admins; admin service accounts: kube-system, istio-system)');
    expect(run([clusterRole('r', [rule(['*'], ['*'], ['*'])]), crb('b', 'r', group('x'))], { meshAdminGroups: [] })[0].message)
      .toContain('grants * on * "*" (admin groups: none configured;');
  });

  test('RoleBindings grant nothing on these cluster-scoped kinds: not reported, whatever the role', () => {
    const everything = clusterRole('everything', [rule(['*'], ['*'], ['*'])]);
    const writer = clusterRole('admission-writer', [rule([ADM], ['validatingadmissionpolicies'], ['update'])]);
    const local = role('team-a', 'local', rule([ADM], ['*'], ['*']), rule(['*'], ['*'], ['*']));
    expect(pathsOf([
      everything, writer, local,
      rb('team-a', 'rb1', CR('everything'), group('team-a-devs')),
      rb('team-a', 'rb2', CR('admission-writer'), sa('team-a', 'ci')),
      rb('team-a', 'rb3', R('local'), group('team-a-devs')),
    ])).toEqual([]);
    // The same ClusterRoles bound cluster-wide are.
    expect(pathsOf([everything, writer, crb('c1', 'everything', group('team-a-devs')), crb('c2', 'admission-writer', sa('team-a', 'ci'))]))
      .toEqual([['ClusterRoleBinding/c1', 'subjects[0]'], ['ClusterRoleBinding/c2', 'subjects[0]']]);
  });

  test('aggregated ClusterRoles are followed transitively', () => {
    const out = run([
      clusterRole('top', [], undefined, { clusterRoleSelectors: [{ matchLabels: { 'agg/top': 'true' } }] }),
      clusterRole('middle', [], { 'agg/top': 'true' }, { clusterRoleSelectors: [{ matchExpressions: [{ key: 'agg/middle', operator: 'In', values: ['x'] }] }] }),
      clusterRole('leaf', [rule([ADM], ['mutatingwebhookconfigurations'], ['create'])], { 'agg/middle': 'x' }),
      clusterRole('unrelated', [rule([ADM], ['mutatingwebhookconfigurations'], ['create'])], { 'agg/middle': 'y' }),
      crb('b', 'top', group('team-a')),
    ]);
    expect(out.map((v) => [v.object, v.path])).toEqual([['ClusterRoleBinding/b', 'subjects[0]']]);
    expect(out[0].message).toContain('ClusterRole "leaf" rule 0 grants create on admissionregistration.k8s.io "mutatingwebhookconfigurations"');
  });

  test('built-in view gains admission writes through aggregate-to-view objects; built-in power roles are RBAC-BUILTIN-001\'s', () => {
    const leaky = clusterRole('leaky', [rule([ADM], ['validatingadmissionpolicies'], ['delete'])], { [`${RBAC}/aggregate-to-view`]: 'true' });
    expect(pathsOf([leaky, crb('viewers', 'view', group('sre'))])).toEqual([['ClusterRoleBinding/viewers', 'subjects[0]']]);
    expect(pathsOf([crb('viewers', 'view', group('sre'))])).toEqual([]);
    const powerful = [
      { ...leaky, metadata: { name: 'leaky', labels: { [`${RBAC}/aggregate-to-admin`]: 'true' } } },
      crb('c', 'cluster-admin', group('team-a')), crb('a', 'admin', group('team-a')), crb('e', 'edit', group('team-a')),
      // A ClusterRole named like a built-in among the objects: still the built-in's binding.
      clusterRole('edit', [rule(['*'], ['*'], ['*'])]),
    ];
    expect(pathsOf(powerful)).toEqual([]);
    // Not lost: RBAC-BUILTIN-001 reports them, with the same admins.
    const ctx = ruleContext(powerful, CTX);
    expect(powerful.flatMap((o) => RBAC_BUILTIN_001.check(o, ctx).map((v) => [o.metadata?.name, v.path])))
      .toEqual([['c', 'subjects[0]'], ['a', 'subjects[0]'], ['e', 'subjects[0]']]);
  });

  test('unknown roles cannot be judged; a ClusterRoleBinding cannot refer to a Role', () => {
    expect(pathsOf([
      role('team-a', 'r', rule([ADM], ['*'], ['*'])),
      crb('c', 'nowhere', group('team-a')),
      { ...crb('d', 'r', group('team-a')), roleRef: { apiGroup: RBAC, kind: 'Role', name: 'r' } },
    ])).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    const odd: RuleObject[] = [
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'a' }, rules: [null, 'x', { apiGroups: ADM, resources: [3], verbs: {} }] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'a' }, roleRef: { kind: 'ClusterRole', name: 'a' }, subjects: [group('x')] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'w' }, rules: [rule(['*'], ['*'], ['*'])], aggregationRule: 'x' },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'w' }, subjects: 'x' },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'd' }, roleRef: null, subjects: [group('x')] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: null, roleRef: { kind: 'ClusterRole', name: 'w' }, subjects: null } as any,
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'n' }, rules: null },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'n' }, roleRef: { kind: 'ClusterRole', name: 'n' }, subjects: [null, 7] },
      { kind: 'ClusterRoleBinding' },
    ];
    expect(() => run(odd)).not.toThrow();
    expect(pathsOf(odd)).toEqual([]);
    // A malformed subject of a writer's binding is reported, not skipped.
    expect(pathsOf([odd[2], { ...odd[7], roleRef: { kind: 'ClusterRole', name: 'w' } }]))
      .toEqual([['ClusterRoleBinding/n', 'subjects[0]'], ['ClusterRoleBinding/n', 'subjects[1]']]);
  });

  test('other kinds, and bindings of other API groups, are ignored', () => {
    expect(pathsOf([
      clusterRole('w', [rule(['*'], ['*'], ['*'])]),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' } },
      { apiVersion: 'example.com/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' }, roleRef: { kind: 'ClusterRole', name: 'w' }, subjects: [group('x')] },
    ])).toEqual([]);
  });

  test('admissionWriteGrants: where the rule grants, per resources entry', () => {
    expect(admissionWriteGrants(rule(['*', ADM], ['pods', 'validatingadmissionpolicies', '*/status'], ['get', 'update'])))
      .toEqual([{ path: 'resources[1]', what: `update on *, ${ADM} "validatingadmissionpolicies"` }]);
    expect(admissionWriteGrants(rule([ADM], 'mutatingwebhookconfigurations', 'create'))).toEqual([{ path: 'resources', what: `create on ${ADM} "mutatingwebhookconfigurations"` }]);
    expect(reachesAdmissionKind('', '*')).toBe(false);
    expect(reachesAdmissionKind('*', 'validatingwebhookconfigurations/status')).toBe(false);
  });

  test.each(ownRbacOutputs())('the library\'s own output passes: $name', ({ ctx, objects }) => {
    // MeshRoleSets' mesh-admin updates Istio's own webhooks by name, bound to the mesh admin group and
    // control-plane service accounts only; security-admin, mesh-auditor and the namespace team roles
    // never write admission configuration.
    expect(ctx.meshAdminGroups).toContain('mesh-admins');
    expect(RULE.checkAll!(ctx)).toEqual([]);
    // Not vacuous: without the admin groups, the mesh admins' binding is found.
    expect(RULE.checkAll!(ruleContext(objects, { ...ctx, meshAdminGroups: [] })).map((r) => `${r.object?.metadata?.name} ${r.violation.path}`))
      .toEqual(['mesh-admins subjects[0]']);
  });

  test('the library\'s auditor role given admission writes after synthesis is found on the auditors\' binding', () => {
    const { objects, ctx } = ownRbacOutputs().find((o) => o.name === 'the Bookinfo blueprint')!;
    const patched = objects.map((o) => (o.kind === 'ClusterRole' && o.metadata?.name === 'mesh-auditor'
      ? { ...o, rules: [...o.rules, rule([ADM], ['validatingadmissionpolicybindings'], ['update', 'patch'])] }
      : o));
    const out = RULE.checkAll!(ruleContext(patched, ctx))
      .map((r) => [r.object?.kind, r.object?.metadata?.name, r.violation.path, r.violation.message]);
    expect(out).toEqual([['ClusterRoleBinding', 'mesh-auditors', 'subjects[0]', expect.stringMatching(
      /^lets Group "auditors", which is not a mesh administrator, change admission control, .*: ClusterRole "mesh-auditor" rule \d+ grants update, patch on /)]]);
  });

  describe('in synthesis', () => {
    test('a JSON patch that gives the library\'s auditor role ValidatingAdmissionPolicy writes is found', () => {
      const chart = new BlueprintChart(Testing.app(), 'blueprint');
      const auditor = chart.node.findAll()
        .find((c) => c instanceof ApiObject && c.kind === 'ClusterRole' && c.metadata.name === 'mesh-auditor') as ApiObject;
      auditor.addJsonPatch(JsonPatch.add('/rules/-', rule([ADM], ['validatingadmissionpolicybindings'], ['update', 'patch'])));
      expect(() => Testing.synth(chart)).toThrow(
        /RBAC-ADMISSION-001 \(RBAC-1, OPS-1\): \[blueprint\/operators\/Auditors\/Binding\] ClusterRoleBinding\/mesh-auditors subjects\[0\]: lets Group "auditors"/);
    });
  });
});
