import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { CR, R, RBAC, clusterRole, crb, group, ownRbacOutputs, rb, role, sa, user } from './rbac-own-output';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_POLICY_001 as RULE } from '../../../src/policy/rules/rbac-policy-writers';

const WRITE = ['get', 'create', 'update', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];

const rule = (apiGroups: string[], resources: string[], verbs: string[] | string) => ({ apiGroups, resources, verbs });

function run(objects: RuleObject[], overrides: { meshAdminGroups?: string[]; operatorGroups?: string[] } = {}) {
  return RULE.checkAll!(ruleContext(objects, { controlPlaneNamespace: 'istio-system', meshAdminGroups: ['mesh-admins'], operatorGroups: ['security-admins'], ...overrides }))
    .map((r) => ({ object: `${r.object?.kind}/${r.object?.metadata?.name}`, path: r.violation.path, message: r.violation.message }));
}
const pathsOf = (objects: RuleObject[]) => run(objects).map((v) => [v.object, v.path]);

/** A Role in team-a with `rules`, bound to a team group: the violations' paths. */
const teamWith = (...rules: object[]) => pathsOf([role('team-a', 'r', ...rules), rb('team-a', 'b', R('r'), group('team-a-devs'))]).map(([, p]) => p);

describe('RBAC-POLICY-001 only mesh admins and operators are bound to roles that write mesh policy (RBAC-1)', () => {
  test('metadata; checkAll only, no admission', () => {
    expect(RULE.id).toBe('RBAC-POLICY-001');
    expect(RULE.practices).toEqual(['RBAC-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.kinds).toEqual([]);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.check(rb('a', 'b', R('r'), group('x')), ruleContext([]))).toEqual([]);
  });

  test.each([
    ['AuthorizationPolicy writes', rule(['security.istio.io'], ['authorizationpolicies'], ['update'])],
    ['PeerAuthentication delete', rule(['security.istio.io'], ['peerauthentications'], ['delete'])],
    ['RequestAuthentication create', rule(['security.istio.io'], ['requestauthentications'], ['create'])],
    ['every kind of security.istio.io', rule(['security.istio.io'], ['*'], ['patch'])],
    ['Sidecars', rule(['networking.istio.io'], ['sidecars'], ['create'])],
    ['EnvoyFilters', rule(['networking.istio.io'], ['envoyfilters'], ['*'])],
    ['routing (VirtualServices)', rule(['networking.istio.io'], ['virtualservices'], ['update'])],
    ['a kind of networking.istio.io not in Istio 1.30', rule(['networking.istio.io'], ['futurekinds'], ['create'])],
    ['WasmPlugins', rule(['extensions.istio.io'], ['wasmplugins'], ['create'])],
    ['NetworkPolicies', rule(['networking.k8s.io'], ['networkpolicies'], ['deletecollection'])],
    ['authorizationpolicies in group *', rule(['*'], ['authorizationpolicies'], ['create'])],
    ['networkpolicies in group *', rule(['*'], ['networkpolicies'], ['create'])],
    ['everything', rule(['*'], ['*'], ['*'])],
    ['verbs as a lone string', rule(['security.istio.io'], ['authorizationpolicies'], '*')],
  ])('a team bound to a role with %s fails', (_name, r) => {
    expect(teamWith(rule(['apps'], ['deployments'], WRITE), r)).toEqual(['subjects[0]']);
  });

  test.each([
    ['reading every policy kind', rule(['security.istio.io', 'networking.istio.io', 'networking.k8s.io'], ['*'], READ)],
    ['status subresources', rule(['networking.istio.io'], ['virtualservices/status'], ['update', 'patch'])],
    ['*/status in group *', rule(['*'], ['*/status'], ['update'])],
    ['group * with other resources', rule(['*'], ['deployments', 'configmaps'], ['create'])],
    ['other Istio groups (telemetry)', rule(['telemetry.istio.io'], ['telemetries'], ['create'])],
    ['Gateway API routes', rule(['gateway.networking.k8s.io'], ['httproutes'], ['create'])],
    ['Ingresses in networking.k8s.io', rule(['networking.k8s.io'], ['ingresses'], ['create'])],
    ['authorizationpolicies in the core group', rule([''], ['authorizationpolicies'], ['create'])],
  ])('a team bound to a role with %s passes', (_name, r) => {
    expect(teamWith(rule(['apps'], ['deployments'], WRITE), r)).toEqual([]);
  });

  test('who may hold policy writes: admin and operator groups, control-plane and kube-system service accounts (every spelling)', () => {
    const objects = [
      clusterRole('security-admin', [rule(['security.istio.io'], ['authorizationpolicies'], WRITE)]),
      crb('ok', 'security-admin', group('mesh-admins'), group('security-admins'), sa('istio-system', 'istiod'), sa('kube-system', 'x'),
        user('system:serviceaccount:istio-system:policy-sync'), group('system:serviceaccounts:istio-system')),
      crb('not-ok', 'security-admin', user('security-admins'), user('system:kube-controller-manager'), group('system:masters'), sa('team-a', 'ci'),
        group('system:serviceaccounts:team-a'), { kind: 'Group' }),
    ];
    expect(pathsOf(objects)).toEqual([0, 1, 2, 3, 4, 5].map((i) => ['ClusterRoleBinding/not-ok', `subjects[${i}]`]));
  });

  test('message names the subject, the rule that writes and who may', () => {
    const out = run([role('team-a', 'r', rule(['security.istio.io'], ['peerauthentications'], ['get', 'patch'])), rb('team-a', 'b', R('r'), group('team-a-devs'))]);
    expect(out[0].message).toBe('lets Group "team-a-devs", which is neither a mesh administrator nor an operator, write mesh policy: '
      + 'Role "team-a/r" rule 0 grants patch on security.istio.io "peerauthentications" '
      + '(admin and operator groups: mesh-admins, security-admins; admin service accounts: kube-system, istio-system)');
    expect(run([role('a', 'r', rule(['security.istio.io'], ['*'], ['create'])), rb('a', 'b', R('r'), group('x'))], { meshAdminGroups: [], operatorGroups: [] })[0].message)
      .toContain('(admin and operator groups: none configured;');
  });

  test('ClusterRoles bound per namespace or cluster-wide; aggregation followed transitively', () => {
    const out = run([
      clusterRole('top', [], undefined, { clusterRoleSelectors: [{ matchLabels: { 'agg/top': 'true' } }] }),
      clusterRole('middle', [], { 'agg/top': 'true' }, { clusterRoleSelectors: [{ matchExpressions: [{ key: 'agg/middle', operator: 'In', values: ['x'] }] }] }),
      clusterRole('leaf', [rule(['networking.istio.io'], ['sidecars'], ['update'])], { 'agg/middle': 'x' }),
      clusterRole('unrelated', [rule(['networking.istio.io'], ['sidecars'], ['update'])], { 'agg/middle': 'y' }),
      crb('b', 'top', group('team-a')),
      rb('team-a', 'rb', CR('top'), sa('team-a', 'app')),
      rb('team-a', 'rb2', CR('unrelated'), sa('team-a', 'app')),
    ]);
    expect(out.map((v) => [v.object, v.path])).toEqual([['ClusterRoleBinding/b', 'subjects[0]'], ['RoleBinding/rb', 'subjects[0]'], ['RoleBinding/rb2', 'subjects[0]']]);
    expect(out[0].message).toContain('write mesh policy: ClusterRole "leaf" rule 0 grants update on networking.istio.io "sidecars"');
  });

  test('built-in view gains policy writes through aggregate-to-view objects; built-in power roles are RBAC-BUILTIN-001\'s', () => {
    const leaky = clusterRole('leaky', [rule(['security.istio.io'], ['authorizationpolicies'], ['create'])], { [`${RBAC}/aggregate-to-view`]: 'true' });
    expect(pathsOf([leaky, rb('team-a', 'viewers', CR('view'), group('team-a-sre'))])).toEqual([['RoleBinding/viewers', 'subjects[0]']]);
    expect(pathsOf([rb('team-a', 'viewers', CR('view'), group('team-a-sre'))])).toEqual([]);
    expect(pathsOf([
      { ...leaky, metadata: { name: 'leaky', labels: { [`${RBAC}/aggregate-to-edit`]: 'true' } } },
      rb('team-a', 'e', CR('edit'), group('team-a')), rb('team-a', 'a', CR('admin'), group('team-a')), crb('c', 'cluster-admin', group('team-a')),
      // A ClusterRole named like a built-in among the objects: still the built-in's binding.
      clusterRole('edit', [rule(['*'], ['*'], ['*'])]),
    ])).toEqual([]);
  });

  test('unknown roles cannot be judged; a RoleBinding reaches Roles of its own namespace only', () => {
    expect(pathsOf([
      role('team-b', 'r', rule(['security.istio.io'], ['*'], ['create'])),
      rb('team-a', 'b', R('r'), group('team-a')),
      crb('c', 'nowhere', group('team-a')),
      crb('d', 'r', group('team-a')),
    ])).toEqual([]);
  });

  test('odd shapes do not throw', () => {
    expect(run([
      { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules: [null, 'x', { apiGroups: 'security.istio.io', resources: [3], verbs: {} }] },
      { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'a' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [group('x')] },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'w' }, rules: [rule(['*'], ['*'], ['*'])], aggregationRule: 'x' },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'w' }, subjects: 'x' },
      { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'd' }, roleRef: null, subjects: [group('x')] },
    ])).toEqual([]);
  });

  test.each(ownRbacOutputs())('the library\'s own output passes: $name', ({ ctx }) => {
    // MeshRoleSets: mesh-admin writes Istio routing, security-admin writes AuthorizationPolicies,
    // bound to the mesh admin and security admin groups (and control-plane service accounts);
    // the app-deployer and app-viewer Roles only read policy.
    expect(ctx.operatorGroups).toContain('security-admins');
    expect(RULE.checkAll!(ctx)).toEqual([]);
  });

  test('a JSON patch that gives the library\'s deployer role AuthorizationPolicy writes is found', () => {
    const chart = new BlueprintChart(Testing.app(), 'blueprint');
    const deployer = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Role' && c.metadata.name === 'app-deployer') as ApiObject;
    deployer.addJsonPatch(JsonPatch.add('/rules/-', rule(['security.istio.io'], ['authorizationpolicies'], ['create', 'update'])));
    expect(() => Testing.synth(chart)).toThrow(
      /RBAC-POLICY-001 \(RBAC-1\): \[blueprint\/bookinfo\/TeamRoles\/DeployersBinding\] RoleBinding\/bookinfo\/app-deployers subjects\[0\]: lets Group "bookinfo-developers"/);
  });
});
