import { Testing } from 'cdk8s';
import { NamespaceTeamRoles } from '../../src/rbac/namespace-team-roles';
import { RbacSubject } from '../../src/rbac/rbac-subject';
import { findObject, ofKind, synthValidated } from '../helpers';

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

function teamChart(props: Partial<ConstructorParameters<typeof NamespaceTeamRoles>[2]> = {}) {
  const chart = Testing.chart();
  const team = new NamespaceTeamRoles(chart, 'team', {
    namespace: 'reviews',
    deployers: [RbacSubject.group('reviews-deployers'), RbacSubject.serviceAccount('argocd', 'argocd-application-controller')],
    viewers: [RbacSubject.group('sre')],
    ...props,
  });
  return { chart, team };
}

function rulesOf(objects: any[], roleName: string): any[] {
  return findObject(objects, 'Role', roleName, 'reviews').rules;
}

/** The verbs a role grants on `resource` in `group` (union over rules). */
function verbsOn(rules: any[], group: string, resource: string): string[] {
  return [...new Set(rules
    .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
    .flatMap((r) => r.verbs as string[]))].sort();
}

describe('NamespaceTeamRoles', () => {
  test('shape', () => {
    expect(synthValidated(teamChart().chart)).toMatchSnapshot();
  });

  test('exposes the role names', () => {
    const { team } = teamChart();
    expect(team.deployerRole).toBe('app-deployer');
    expect(team.viewerRole).toBe('app-viewer');
    expect(team.namespace).toBe('reviews');
  });

  test('emits two Roles and two RoleBindings in the namespace, nothing else', () => {
    const objects = synthValidated(teamChart().chart);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Role/reviews/app-deployer', 'Role/reviews/app-viewer', 'RoleBinding/reviews/app-deployers', 'RoleBinding/reviews/app-viewers',
    ]);
  });

  describe('NS-1: namespace-bound only', () => {
    test('no ClusterRole or ClusterRoleBinding, every binding refers to a Role', () => {
      const objects = synthValidated(teamChart().chart);
      expect(ofKind(objects, 'ClusterRole')).toEqual([]);
      expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
      for (const b of ofKind(objects, 'RoleBinding')) {
        expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: expect.stringMatching(/^app-(deployer|viewer)$/) });
        expect(b.metadata.namespace).toBe('reviews');
      }
    });
  });

  describe('RBAC-1: the deployer role', () => {
    const rules = rulesOf(synthValidated(teamChart().chart), 'app-deployer');

    test('manages app workloads with get/list/watch/create/update/patch/delete', () => {
      const manage = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
      for (const [group, resource] of [
        ['', 'services'], ['', 'configmaps'], ['', 'persistentvolumeclaims'], ['', 'serviceaccounts'],
        ['apps', 'deployments'], ['apps', 'statefulsets'], ['apps', 'replicasets'], ['apps', 'daemonsets'],
        ['batch', 'jobs'], ['batch', 'cronjobs'], ['autoscaling', 'horizontalpodautoscalers'], ['policy', 'poddisruptionbudgets'],
      ]) {
        expect({ group, resource, verbs: verbsOn(rules, group, resource) }).toEqual({ group, resource, verbs: manage });
      }
    });

    test('pods: get/list/watch/delete only (restart by deletion), pod logs read-only', () => {
      expect(verbsOn(rules, '', 'pods')).toEqual(['delete', 'get', 'list', 'watch']);
      expect(verbsOn(rules, '', 'pods/log')).toEqual(['get']);
    });

    test.each(NamespaceTeamRoles.DEPLOYER_READ_ONLY_API_GROUPS)('no write verb on any %s resource, but reads them', (group) => {
      const inGroup = rules.filter((r) => r.apiGroups.includes(group));
      expect(inGroup.length).toBeGreaterThan(0);
      for (const r of inGroup) {
        expect(r.verbs).toEqual(['get', 'list', 'watch']);
        expect(r.verbs.filter((v: string) => WRITE_VERBS.includes(v))).toEqual([]);
      }
    });

    test('the Istio policy kinds are readable', () => {
      for (const [group, resource] of [
        ['security.istio.io', 'authorizationpolicies'], ['security.istio.io', 'peerauthentications'],
        ['security.istio.io', 'requestauthentications'], ['networking.istio.io', 'sidecars'],
        ['networking.istio.io', 'virtualservices'], ['networking.istio.io', 'destinationrules'],
        ['networking.istio.io', 'serviceentries'], ['networking.istio.io', 'envoyfilters'],
      ]) {
        expect(verbsOn(rules, group, resource)).toEqual(['get', 'list', 'watch']);
      }
    });

    test.each(NamespaceTeamRoles.DEPLOYER_READ_ONLY_RESOURCES)('%s is read-only', (groupResource) => {
      const [group, resource] = groupResource.split('/');
      expect(verbsOn(rules, group, resource)).toEqual(['get', 'list', 'watch']);
    });

    test('networkpolicies: no write verb in any group', () => {
      const writes = rules.filter((r) => r.resources.includes('networkpolicies')).flatMap((r) => r.verbs).filter((v) => WRITE_VERBS.includes(v));
      expect(writes).toEqual([]);
    });
  });

  describe.each(['app-deployer', 'app-viewer'])('least privilege: %s', (roleName) => {
    const rules = rulesOf(synthValidated(teamChart().chart), roleName);

    test('every rule lists one explicit API group, explicit resources and verbs; no wildcard anywhere', () => {
      for (const r of rules) {
        expect(r.apiGroups).toHaveLength(1);
        expect(r.resources.length).toBeGreaterThan(0);
        expect(r.verbs.length).toBeGreaterThan(0);
        expect([...r.apiGroups, ...r.resources, ...r.verbs].filter((x: string) => x.includes('*'))).toEqual([]);
        expect(r.nonResourceURLs).toBeUndefined();
        expect(r.resourceNames).toBeUndefined();
      }
    });

    test('no escalate, bind, impersonate, deletecollection', () => {
      const verbs = rules.flatMap((r) => r.verbs);
      for (const v of ['escalate', 'bind', 'impersonate', 'deletecollection', ...NamespaceTeamRoles.FORBIDDEN_VERBS]) {
        expect(verbs).not.toContain(v);
      }
    });

    test('no secrets, RBAC objects, exec/attach/portforward/proxy subresources', () => {
      const resources = rules.flatMap((r) => r.resources);
      for (const res of ['secrets', 'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings', 'pods/exec', 'pods/attach', 'pods/portforward', ...NamespaceTeamRoles.FORBIDDEN_RESOURCES]) {
        expect(resources).not.toContain(res);
      }
      expect(rules.flatMap((r) => r.apiGroups)).not.toContain('rbac.authorization.k8s.io');
    });
  });

  describe('the viewer role', () => {
    const objects = synthValidated(teamChart().chart);
    const viewer = rulesOf(objects, 'app-viewer');
    const deployer = rulesOf(objects, 'app-deployer');

    test('only get/list/watch', () => {
      expect([...new Set(viewer.flatMap((r) => r.verbs))].sort()).toEqual(['get', 'list', 'watch']);
    });

    test('reads exactly the resources the deployer can touch, including the policy kinds', () => {
      const resources = (rs: any[]) => rs.flatMap((r) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`)).sort();
      expect(resources(viewer)).toEqual(resources(deployer));
      expect(verbsOn(viewer, 'security.istio.io', 'authorizationpolicies')).toEqual(['get', 'list', 'watch']);
      expect(verbsOn(viewer, 'networking.k8s.io', 'networkpolicies')).toEqual(['get', 'list', 'watch']);
      expect(verbsOn(viewer, 'apps', 'deployments')).toEqual(['get', 'list', 'watch']);
    });
  });

  describe('bindings', () => {
    test('bind exactly the given subjects, sorted, with the right subject shape', () => {
      const objects = synthValidated(teamChart().chart);
      expect(findObject(objects, 'RoleBinding', 'app-deployers', 'reviews').subjects).toEqual([
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'reviews-deployers' },
        { kind: 'ServiceAccount', name: 'argocd-application-controller', namespace: 'argocd' },
      ]);
      expect(findObject(objects, 'RoleBinding', 'app-viewers', 'reviews').subjects).toEqual([
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'sre' },
      ]);
    });

    test('no subjects: no binding at all (default)', () => {
      const chart = Testing.chart();
      new NamespaceTeamRoles(chart, 'team', { namespace: 'reviews' });
      const objects = synthValidated(chart);
      expect(ofKind(objects, 'RoleBinding')).toEqual([]);
      expect(ofKind(objects, 'Role')).toHaveLength(2);
    });

    test('only deployers: only the deployer binding', () => {
      const { chart } = teamChart({ viewers: [] });
      const bindings = ofKind(synthValidated(chart), 'RoleBinding');
      expect(bindings.map((b) => b.metadata.name)).toEqual(['app-deployers']);
    });

    test('addDeployer/addViewer after construction reach the YAML', () => {
      const chart = Testing.chart();
      const team = new NamespaceTeamRoles(chart, 'team', { namespace: 'reviews' });
      team.addDeployer(RbacSubject.user('bob@example.com'));
      team.addViewer(RbacSubject.group('auditors'));
      team.addDeployer(RbacSubject.user('alice@example.com'));
      const objects = synthValidated(chart);
      expect(findObject(objects, 'RoleBinding', 'app-deployers', 'reviews').subjects.map((s: any) => s.name)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(findObject(objects, 'RoleBinding', 'app-viewers', 'reviews').subjects.map((s: any) => s.name)).toEqual(['auditors']);
    });

    test('idempotent: the same subject twice (equal value, different instance) binds once', () => {
      const { chart, team } = teamChart();
      team.addDeployer(RbacSubject.group('reviews-deployers'));
      team.addDeployer(RbacSubject.serviceAccount('argocd', 'argocd-application-controller'));
      team.addViewer(RbacSubject.group('sre'));
      const objects = synthValidated(chart);
      expect(findObject(objects, 'RoleBinding', 'app-deployers', 'reviews').subjects).toHaveLength(2);
      expect(findObject(objects, 'RoleBinding', 'app-viewers', 'reviews').subjects).toHaveLength(1);
      expect(ofKind(objects, 'RoleBinding')).toHaveLength(2);
    });

    test('a user and a group with the same name are different subjects', () => {
      const chart = Testing.chart();
      new NamespaceTeamRoles(chart, 'team', { namespace: 'reviews', viewers: [RbacSubject.user('ops'), RbacSubject.group('ops')] });
      const subjects = findObject(synthValidated(chart), 'RoleBinding', 'app-viewers', 'reviews').subjects;
      expect(subjects.map((s: any) => s.kind)).toEqual(['Group', 'User']);
    });

    test('deterministic: the order subjects are given in does not change the output (OPS-2)', () => {
      const a = RbacSubject.group('b-team');
      const b = RbacSubject.user('a-user');
      const c = RbacSubject.serviceAccount('ci', 'deployer');
      const d = RbacSubject.serviceAccount('argo', 'deployer');
      const synth = (deployers: RbacSubject[]) => {
        const chart = Testing.chart();
        new NamespaceTeamRoles(chart, 'team', { namespace: 'reviews', deployers });
        return JSON.stringify(synthValidated(chart));
      };
      const first = synth([a, b, c, d]);
      expect(synth([d, c, b, a])).toBe(first);
      expect(synth([c, a, d, b])).toBe(first);
    });
  });

  describe('guards', () => {
    test.each(['', 'Reviews', 'reviews_team', 'a'.repeat(64), '-reviews'])('namespace "%s" is not a DNS-1123 label', (namespace) => {
      expect(() => new NamespaceTeamRoles(Testing.chart(), 'team', { namespace })).toThrow(/^\[test\/team\] namespace: ".*" (must be no more than 63|a lowercase RFC 1123 label).*Use lower-case letters/);
    });

    test('an invalid ServiceAccount subject is an error', () => {
      expect(() => new NamespaceTeamRoles(Testing.chart(), 'team', {
        namespace: 'reviews',
        deployers: [RbacSubject.serviceAccount('Bad_NS', 'deployer')],
      })).toThrow(/RbacSubject.serviceAccount: namespace "Bad_NS"/);
      expect(() => RbacSubject.serviceAccount('ci', 'Bad_Name')).toThrow(/name "Bad_Name"/);
    });

    test.each([
      ['group system:authenticated', RbacSubject.group('system:authenticated')],
      ['group system:unauthenticated', RbacSubject.group('system:unauthenticated')],
      ['group system:serviceaccounts', RbacSubject.group('system:serviceaccounts')],
      ['group system:serviceaccounts:reviews', RbacSubject.group('system:serviceaccounts:reviews')],
      ['user system:anonymous', RbacSubject.user('system:anonymous')],
    ])('binding everyone (%s) is an error, in props and in addDeployer/addViewer', (_, subject) => {
      expect(() => new NamespaceTeamRoles(Testing.chart(), 'team', { namespace: 'reviews', deployers: [subject] }))
        .toThrow(/\[test\/team\] deployers: .*stands for every user or workload/);
      const team = new NamespaceTeamRoles(Testing.chart(), 'team', { namespace: 'reviews' });
      expect(() => team.addViewer(subject)).toThrow(/\[test\/team\] viewers: .*Bind a named team group/);
    });

    test('two NamespaceTeamRoles for the same namespace is an error (duplicate object names)', () => {
      const chart = Testing.chart();
      new NamespaceTeamRoles(chart, 'a', { namespace: 'reviews' });
      expect(() => new NamespaceTeamRoles(chart, 'b', { namespace: 'reviews' })).toThrow(/\[test\/b\] namespace: .*already has team roles from test\/a/);
      expect(() => new NamespaceTeamRoles(chart, 'c', { namespace: 'ratings' })).not.toThrow();
    });
  });

  test('the exported lists name what the roles withhold', () => {
    expect(NamespaceTeamRoles.DEPLOYER_READ_ONLY_API_GROUPS).toEqual(expect.arrayContaining(['security.istio.io', 'networking.istio.io']));
    expect(NamespaceTeamRoles.FORBIDDEN_VERBS).toEqual(expect.arrayContaining(['*', 'escalate', 'bind', 'impersonate']));
    expect(NamespaceTeamRoles.FORBIDDEN_RESOURCES).toEqual(expect.arrayContaining(['secrets', 'roles', 'rolebindings', 'pods/exec', 'pods/attach', 'pods/portforward', '*']));
    expect(() => NamespaceTeamRoles.FORBIDDEN_VERBS.pop()).toThrow();
    expect(() => NamespaceTeamRoles.DEPLOYER_READ_ONLY_API_GROUPS.push('apps')).toThrow();
  });
});
