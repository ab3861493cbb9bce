import { join } from 'path';
import { ownRbacOutputs, readYaml } from './rbac-own-output';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_SENS_001 as RULE, SENSITIVE_TARGETS, aggregationLabels } from '../../../src/policy/rules/rbac-sensitive-access';
import { describeWithShared } from '../../shared';

const RBAC = 'rbac.authorization.k8s.io';
const ctx = ruleContext([]);
const role = (...rules: object[]): RuleObject => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules });
const clusterRole = (labels: { [key: string]: string } | undefined, ...rules: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'cr', ...(labels ? { labels } : {}) }, rules,
});
const rule = (apiGroups: string[], resources: string[], verbs: string[]) => ({ apiGroups, resources, verbs });
const AGG_EDIT = { [`${RBAC}/aggregate-to-edit`]: 'true' };
const AGG_VIEW = { [`${RBAC}/aggregate-to-view`]: 'true' };
const READ = ['get', 'list', 'watch'];

const GOOD: [string, RuleObject][] = [
  ['the library\'s deployer rules', role(
    rule([''], ['pods'], ['get', 'list', 'watch', 'delete']), rule([''], ['pods/log'], ['get']),
    rule([''], ['configmaps', 'serviceaccounts', 'services'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    rule(['networking.istio.io'], ['virtualservices'], READ),
  )],
  ['reading endpoints and endpoint slices', clusterRole(undefined, rule([''], ['endpoints'], READ), rule(['discovery.k8s.io'], ['endpointslices'], READ))],
  ['get on serviceaccounts/token (only create mints)', role(rule([''], ['serviceaccounts/token'], ['get']))],
  ['list on pods/exec (not how exec is authorized)', role(rule([''], ['pods/exec'], ['list', 'watch']))],
  ['get on pods/ephemeralcontainers (reading)', role(rule([''], ['pods/ephemeralcontainers'], ['get']))],
  ['pods/exec in another API group', role(rule(['apps'], ['pods/exec'], ['create']))],
  ['endpointslices in the core group (no such resource)', role(rule([''], ['endpointslices'], ['create']))],
  ['nodes, not nodes/proxy', clusterRole(undefined, rule([''], ['nodes', 'nodes/status'], ['get', 'patch']))],
  ['*/scale', role(rule(['apps'], ['*/scale'], ['update']))],
  ['a rule without verbs', role({ apiGroups: [''], resources: ['pods/exec'] })],
  ['a rule without apiGroups', role({ resources: ['pods/exec'], verbs: ['create'] })],
  ['an empty verb list on nodes/proxy', clusterRole(undefined, rule([''], ['nodes/proxy'], []))],
  ['nonResourceURLs', clusterRole(undefined, { nonResourceURLs: ['/api/*'], verbs: ['get'] })],
  ['aggregate-to-view with reads of Istio policy', clusterRole(AGG_VIEW, rule(['security.istio.io', 'networking.istio.io'], ['*'], READ))],
  ['aggregate-to-edit with writes on a CRD of its own', clusterRole(AGG_EDIT, rule(['example.com'], ['widgets'], ['create', 'update', 'delete']))],
  ['aggregate-to-edit: status of Istio kinds is not policy', clusterRole(AGG_EDIT, rule(['networking.istio.io'], ['virtualservices/status'], ['update']))],
  ['aggregate-to-edit: group "*" with non-policy resources', clusterRole(AGG_EDIT, rule(['*'], ['deployments'], ['create']))],
  ['a built-in aggregation label with value "false"', clusterRole({ [`${RBAC}/aggregate-to-admin`]: 'false' }, rule(['security.istio.io'], ['*'], ['create']))],
  ['aggregation labels on a Role mean nothing', { ...role(rule(['security.istio.io'], ['*'], ['create']), rule([''], ['secrets'], ['get'])), metadata: { name: 'r', namespace: 'a', labels: AGG_EDIT } }],
  ['policy writes without an aggregation label (RBAC-POLICY-001 judges who holds them)', clusterRole(undefined, rule(['security.istio.io'], ['authorizationpolicies'], ['create']))],
  ['Secrets without an aggregation label (RBAC-SECRET-001 judges who holds them)', clusterRole(undefined, rule([''], ['secrets'], ['get', 'list']))],
  ['other kind', { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'b' }, rules: [rule([''], ['pods/exec'], ['create'])] }],
  ['a Role CRD of another group', { apiVersion: 'example.com/v1', kind: 'Role', rules: [rule([''], ['pods/exec'], ['create'])] }],
];

const BAD: [string, RuleObject, string[]][] = [
  ['create on pods/exec', role(rule([''], ['pods', 'pods/exec'], ['get', 'create'])), ['rules[0].resources[1]']],
  ['get on pods/exec and pods/attach (WebSocket, before 1.35)', role(rule([''], ['pods/exec', 'pods/attach'], ['get'])), ['rules[0].resources[0]', 'rules[0].resources[1]']],
  ['* on pods/portforward', role(rule([''], ['pods/portforward'], ['*'])), ['rules[0].resources[0]']],
  ['*/exec in group *', clusterRole(undefined, rule(['*'], ['*/exec'], ['create'])), ['rules[0].resources[0]']],
  ['pods/* (read as intent)', role(rule([''], ['pods/*'], ['create'])), ['rules[0].resources[0]']],
  ['patch on pods/ephemeralcontainers (kubectl debug)', role(rule([''], ['pods/ephemeralcontainers'], ['patch'])), ['rules[0].resources[0]']],
  ['create on serviceaccounts/token', role(rule([''], ['serviceaccounts/token'], ['create'])), ['rules[0].resources[0]']],
  ['get on nodes/proxy', clusterRole(undefined, rule([''], ['nodes', 'nodes/proxy'], ['get'])), ['rules[0].resources[1]']],
  ['writes on endpoints', role(rule([''], ['services', 'endpoints'], ['create', 'update'])), ['rules[0].resources[1]']],
  ['deletecollection on endpointslices', role(rule(['discovery.k8s.io'], ['endpointslices'], ['deletecollection'])), ['rules[0].resources[0]']],
  ['get on everything (exec via WebSocket, nodes/proxy)', clusterRole(undefined, rule(['*'], ['*'], ['get'])), ['rules[0].resources[0]']],
  ['several rules', role(rule(['apps'], ['deployments'], ['get']), rule([''], ['pods/attach'], ['create'])), ['rules[1].resources[0]']],
  ['aggregate-to-edit with writes on Istio routing', clusterRole(AGG_EDIT, rule(['networking.istio.io'], ['virtualservices', 'sidecars'], ['create', 'get'])),
    ['rules[0].resources[0]', 'rules[0].resources[1]']],
  ['aggregate-to-view adding Secrets', clusterRole(AGG_VIEW, rule([''], ['configmaps', 'secrets'], READ)), ['rules[0].resources[1]']],
  ['aggregate-to-admin with authorizationpolicies in group *', clusterRole({ [`${RBAC}/aggregate-to-admin`]: 'true' }, rule(['*'], ['authorizationpolicies'], ['update'])),
    ['rules[0].resources[0]']],
  ['a custom aggregation label with any value', clusterRole({ 'rbac.example.com/aggregate-to-monitoring': 'yes' }, rule(['security.istio.io'], ['*'], ['patch'])),
    ['rules[0].resources[0]']],
  ['aggregate-to-view with NetworkPolicy writes', clusterRole(AGG_VIEW, rule(['networking.k8s.io'], ['networkpolicies'], ['delete'])), ['rules[0].resources[0]']],
  ['aggregate-to-edit with WasmPlugins', clusterRole(AGG_EDIT, rule(['extensions.istio.io'], ['wasmplugins'], ['create'])), ['rules[0].resources[0]']],
  ['aggregate-to-edit with exec: one violation per entry', clusterRole(AGG_EDIT, rule(['', 'security.istio.io'], ['pods/exec', 'secrets', '*'], ['create'])),
    ['rules[0].resources[0]', 'rules[0].resources[1]', 'rules[0].resources[2]']],
];

describe('RBAC-SENS-001 no role grants exec, tokens, nodes/proxy or endpoint writes, nor aggregates policy writes or Secrets (RBAC-1, CA-1)', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('RBAC-SENS-001');
    expect(RULE.practices).toEqual(['RBAC-1', 'CA-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.kinds).toEqual([`${RBAC}/Role`, `${RBAC}/ClusterRole`]);
    expect(RULE.admission!.resources).toEqual([{ apiGroups: [RBAC], apiVersions: ['*'], resources: ['roles', 'clusterroles'] }]);
    expect(SENSITIVE_TARGETS.map((t) => t.resource)).toEqual([
      'pods/exec', 'pods/attach', 'pods/portforward', 'pods/ephemeralcontainers', 'serviceaccounts/token', 'nodes/proxy', 'endpoints', 'endpointslices',
    ]);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(RULE.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each([...GOOD, ...BAD.map(([n, o]): [string, RuleObject] => [n, o])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages name the verbs, the resource, the risk and who gains it through aggregation', () => {
    expect(RULE.check(role(rule([''], ['pods/exec'], ['get', 'create', 'list'])), ctx)[0].message).toBe(
      'rule 0 grants get, create on pods/exec (runs commands in pods: a shell past the mesh\'s authentication and authorization, '
      + 'with the pod\'s identity and secrets)');
    expect(RULE.check(role(rule(['discovery.k8s.io'], ['endpointslices'], ['patch'])), ctx)[0].message)
      .toBe('rule 0 grants patch on discovery.k8s.io endpointslices (redirects a Service\'s traffic to addresses of one\'s choosing)');
    expect(RULE.check(clusterRole(AGG_VIEW, rule([''], ['secrets'], ['get'])), ctx)[0].message)
      .toBe('rule 0 grants get on Secrets; the label "rbac.authorization.k8s.io/aggregate-to-view" adds it to every holder of the built-in ClusterRole "view"');
    expect(RULE.check(clusterRole({ ...AGG_EDIT, 'x.io/aggregate-to-ops': 'true' }, rule(['security.istio.io'], ['peerauthentications'], ['update'])), ctx)[0].message)
      .toBe('rule 0 grants update on security.istio.io "peerauthentications" (writes mesh policy); the labels '
        + '"rbac.authorization.k8s.io/aggregate-to-edit", "x.io/aggregate-to-ops" add it to every holder of the built-in ClusterRole "edit" '
        + 'and every holder of a ClusterRole that aggregates "x.io/aggregate-to-ops"');
    const all = RULE.check(clusterRole(undefined, rule(['*'], ['*'], ['*'])), ctx)[0].message;
    for (const t of SENSITIVE_TARGETS) expect(all).toContain(`* on ${t.group ? `${t.group} ` : ''}${t.resource} (`);
  });

  test('aggregationLabels', () => {
    expect(aggregationLabels(clusterRole({ ...AGG_EDIT, [`${RBAC}/aggregate-to-view`]: 'false', 'a.io/aggregate-to-x': 'no', 'aggregate-to-y': '', 'app': 'aggregate-to-z' })))
      .toEqual([`${RBAC}/aggregate-to-edit`, 'a.io/aggregate-to-x', 'aggregate-to-y']);
    expect(aggregationLabels({ ...role(), metadata: { labels: AGG_EDIT } })).toEqual([]);
  });

  describe('wrong shapes the API server would reject are read for what they ask (admission never sees them)', () => {
    test.each([
      ['verbs: "*"', role({ apiGroups: [''], resources: ['pods/exec'], verbs: '*' }), ['rules[0].resources[0]']],
      ['resources: "nodes/proxy"', clusterRole(undefined, { apiGroups: [''], resources: 'nodes/proxy', verbs: ['get'] }), ['rules[0].resources']],
      ['apiGroups: ""', role({ apiGroups: '', resources: ['serviceaccounts/token'], verbs: ['create'] }), ['rules[0].resources[0]']],
      ['verbs with non-strings', role({ apiGroups: [''], resources: ['pods/exec'], verbs: [null, 3, 'create'] }), ['rules[0].resources[0]']],
    ] as [string, RuleObject, string[]][])('%s', (_name, object, paths) => {
      expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
    });

    test('odd shapes do not throw', () => {
      for (const rules of ['x', null, [null, 'x', 3, { verbs: {} }, { resources: [null], verbs: ['*'], apiGroups: [''] }]]) {
        expect(RULE.check({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { labels: 'x' as any }, rules } as RuleObject, ctx)).toEqual([]);
      }
      expect(RULE.check({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { labels: { [`${RBAC}/aggregate-to-view`]: 5 as any } }, rules: [rule([''], ['secrets'], ['get'])] }, ctx))
        .toEqual([]);
    });
  });

  test.each(ownRbacOutputs())('the library\'s own output passes: $name', ({ objects, ctx: own }) => {
    const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    expect(roles.map((o) => o.metadata?.name)).toEqual(expect.arrayContaining(['app-deployer', 'app-viewer', 'mesh-admin', 'security-admin', 'mesh-auditor']));
    expect(objects.flatMap((o) => RULE.check(o, own))).toEqual([]);
    expect(objects.filter((o) => !admits(RULE.admission!, o))).toEqual([]);
  });
});

describeWithShared('external-corpus', 'RBAC-SENS-001 against Gatekeeper block-endpoint-edit-default-role and Kyverno restrict-escalation-verbs-roles', (dir) => {
  const gatekeeper = join(dir, 'gatekeeper/general/block-endpoint-edit-default-role/block-endpoint-edit-default-role');

  test('Gatekeeper disallowed (system:aggregate-to-edit with endpoints writes) fails', () => {
    const paths = RULE.check(readYaml(join(gatekeeper, 'example_disallowed.yaml')), ctx).map((v) => v.path);
    // exec/attach/portforward (get, create) and Secrets aggregated into edit. Its `endpoints`
    // entry is listed under the `apps` group, where no such resource exists: RBAC matches groups
    // exactly, so that entry alone grants nothing and is not what this finds.
    expect(paths).toEqual([
      'rules[0].resources[0]', 'rules[0].resources[1]', 'rules[0].resources[2]', 'rules[0].resources[4]',
      'rules[2].resources[1]', 'rules[2].resources[2]', 'rules[2].resources[3]',
      'rules[3].resources[4]',
    ]);
    expect(paths).not.toContain('rules[4].resources[4]');
  });

  test('Gatekeeper allowed (Kubernetes\' own system:aggregate-to-edit) is deliberately a finding (RBAC-1, CA-1)', () => {
    // Gatekeeper only looks for endpoints writes. This object is the API server's own default
    // role, which it creates and reconciles: an app that ships it adds exec, attach, port-forward,
    // Secrets and NetworkPolicy writes (rule 9) to every holder of edit.
    expect(RULE.check(readYaml(join(gatekeeper, 'example_allowed.yaml')), ctx).map((v) => v.path)).toEqual([
      'rules[0].resources[0]', 'rules[0].resources[1]', 'rules[0].resources[2]', 'rules[0].resources[4]',
      'rules[2].resources[1]', 'rules[2].resources[2]', 'rules[2].resources[3]',
      'rules[3].resources[4]',
      'rules[9].resources[1]',
    ]);
  });

  const kyverno = join(dir, 'kyverno/other/restrict-escalation-verbs-roles');
  test.each(['resource--goodclusterrole02.yaml', 'resource--goodrole01.yaml'])('Kyverno good: %s passes', (f) => {
    expect(RULE.check(readYaml(join(kyverno, f)), ctx)).toEqual([]);
  });
  test('Kyverno bad: the all-wildcard ClusterRole fails; escalate and impersonate alone are RBAC-ESC-001\'s', () => {
    expect(RULE.check(readYaml(join(kyverno, 'resource--badclusterrole02.yaml')), ctx).map((v) => v.path)).toEqual(['rules[0].resources[0]']);
    expect(RULE.check(readYaml(join(kyverno, 'resource--badclusterrole01.yaml')), ctx)).toEqual([]);
    expect(RULE.check(readYaml(join(kyverno, 'resource--badrole01.yaml')), ctx)).toEqual([]);
  });
  test('Kyverno good KEDA ClusterRole is deliberately a finding: get on every resource of every group', () => {
    // Kyverno's policy is about escalation verbs only. `get` on `*` in `*` includes get on
    // pods/exec, attach and portforward (exec over WebSocket before Kubernetes 1.35) and on
    // nodes/proxy (the kubelet API).
    const v = RULE.check(readYaml(join(kyverno, 'resource--goodclusterrole01.yaml')), ctx);
    expect(v.map((x) => x.path)).toEqual(['rules[2].resources[0]']);
    expect(v[0].message).toContain('get on nodes/proxy');
  });
});
