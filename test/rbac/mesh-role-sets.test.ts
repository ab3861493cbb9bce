import { Chart, Testing } from 'cdk8s';
import { MeshRoleSets, MeshRoleSetsProps } from '../../src/rbac/mesh-role-sets';
import { NamespaceTeamRoles } from '../../src/rbac/namespace-team-roles';
import { RbacSubject } from '../../src/rbac/rbac-subject';
import { pinnedCrdCatalog } from '../../src/validation/crd-catalog';
import { findObject, ofKind, synthValidated } from '../helpers';

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const SUBJECT_GROUP = 'rbac.authorization.k8s.io';

function rolesChart(props: MeshRoleSetsProps = {}) {
  const chart = Testing.chart();
  const roles = new MeshRoleSets(chart, 'roles', {
    meshAdmins: [RbacSubject.group('mesh-admins'), RbacSubject.serviceAccount(props.controlPlaneNamespace ?? 'istio-system', 'mesh-gitops')],
    securityAdmins: [RbacSubject.group('security')],
    auditors: [RbacSubject.group('auditors'), RbacSubject.group('audit-contractors')],
    ...props,
  });
  return { chart, roles };
}

function clusterRules(objects: any[], name: string): any[] {
  return findObject(objects, 'ClusterRole', name).rules;
}

/** Every rule of every Role and ClusterRole, with the role it belongs to. */
function allRules(objects: any[]): { role: string; rule: any }[] {
  return [...ofKind(objects, 'ClusterRole'), ...ofKind(objects, 'Role')]
    .flatMap((o) => o.rules.map((rule: any) => ({ role: `${o.kind}/${o.metadata.name}`, rule })));
}

/** The verbs a role grants on `resource` in `group` (union over rules). */
function verbsOn(rules: any[], group: string, resource: string): string[] {
  return [...new Set(rules
    .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
    .flatMap((r) => r.verbs as string[]))].sort();
}

const split = (groupResource: string) => {
  const slash = groupResource.indexOf('/');
  return [groupResource.slice(0, slash), groupResource.slice(slash + 1)];
};

describe('MeshRoleSets', () => {
  test('shape', () => {
    expect(synthValidated(rolesChart().chart)).toMatchSnapshot();
  });

  test('exposes the role names and the control-plane namespace', () => {
    const { roles } = rolesChart();
    expect(roles.meshAdminRole).toBe('mesh-admin');
    expect(roles.meshAdminSecretsRole).toBe('mesh-admin-secrets');
    expect(roles.securityAdminRole).toBe('security-admin');
    expect(roles.auditorRole).toBe('mesh-auditor');
    expect(roles.controlPlaneNamespace).toBe('istio-system');
  });

  test('emits three ClusterRoles, the secrets Role, and one binding per role with subjects', () => {
    const objects = synthValidated(rolesChart().chart);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole//mesh-admin', 'ClusterRole//mesh-auditor', 'ClusterRole//security-admin',
      'ClusterRoleBinding//mesh-admins', 'ClusterRoleBinding//mesh-auditors', 'ClusterRoleBinding//security-admins',
      'Role/istio-system/mesh-admin-secrets', 'RoleBinding/istio-system/mesh-admins',
    ]);
    for (const [binding, role] of [['mesh-admins', 'mesh-admin'], ['security-admins', 'security-admin'], ['mesh-auditors', 'mesh-auditor']]) {
      expect(findObject(objects, 'ClusterRoleBinding', binding).roleRef).toEqual({ apiGroup: SUBJECT_GROUP, kind: 'ClusterRole', name: role });
    }
  });

  describe('RBAC-1: least privilege everywhere', () => {
    const rules = allRules(synthValidated(rolesChart().chart));

    test('every rule lists one explicit API group, explicit resources and verbs; no wildcard anywhere', () => {
      expect(rules.length).toBeGreaterThan(0);
      for (const { role, rule } of rules) {
        expect({ role, groups: rule.apiGroups.length }).toEqual({ role, groups: 1 });
        expect(rule.resources.length).toBeGreaterThan(0);
        expect(rule.verbs.length).toBeGreaterThan(0);
        expect({ role, wildcards: [...rule.apiGroups, ...rule.resources, ...rule.verbs, ...(rule.resourceNames ?? [])].filter((x: string) => x.includes('*')) })
          .toEqual({ role, wildcards: [] });
        expect(rule.nonResourceURLs).toBeUndefined();
      }
    });

    test('no escalate, bind, impersonate, deletecollection or * verb in any role', () => {
      const verbs = rules.flatMap(({ rule }) => rule.verbs);
      for (const v of ['escalate', 'bind', 'impersonate', 'deletecollection', ...NamespaceTeamRoles.FORBIDDEN_VERBS]) {
        expect(verbs).not.toContain(v);
      }
    });

    test('no role can write RBAC objects', () => {
      const rbacWrites = rules.filter(({ rule }) => rule.apiGroups.includes(SUBJECT_GROUP) && rule.verbs.some((v: string) => v !== 'get' && v !== 'list' && v !== 'watch'));
      expect(rbacWrites).toEqual([]);
    });

    test('no role reaches into pods or mints tokens (exec, attach, port-forward, proxies, ServiceAccount tokens)', () => {
      const resources = rules.flatMap(({ rule }) => rule.resources);
      for (const res of ['pods/exec', 'pods/attach', 'pods/portforward', 'pods/proxy', 'pods/ephemeralcontainers', 'services/proxy', 'nodes/proxy', 'serviceaccounts/token']) {
        expect(resources).not.toContain(res);
      }
    });
  });

  describe('RBAC-1: security-admin is the only writer of security policy', () => {
    const objects = synthValidated(rolesChart().chart);

    test.each(MeshRoleSets.SECURITY_POLICY_RESOURCES)('%s: security-admin manages it', (groupResource) => {
      const [group, resource] = split(groupResource);
      expect(verbsOn(clusterRules(objects, 'security-admin'), group, resource)).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    });

    test.each(MeshRoleSets.SECURITY_POLICY_RESOURCES)('%s: no other role has a write verb on it', (groupResource) => {
      const [group, resource] = split(groupResource);
      const writers = allRules(objects)
        .filter(({ rule }) => rule.apiGroups.includes(group) && rule.resources.includes(resource))
        .filter(({ rule }) => rule.verbs.some((v: string) => WRITE_VERBS.includes(v)))
        .map(({ role }) => role);
      expect([...new Set(writers)]).toEqual(['ClusterRole/security-admin']);
    });

    test('every security.istio.io kind and NetworkPolicies are security policy', () => {
      for (const r of MeshRoleSets.ISTIO_RESOURCES.filter((gr) => gr.startsWith('security.istio.io/'))) {
        expect(MeshRoleSets.SECURITY_POLICY_RESOURCES).toContain(r);
      }
      expect(MeshRoleSets.SECURITY_POLICY_RESOURCES).toEqual(expect.arrayContaining(['networking.k8s.io/networkpolicies', 'networking.istio.io/sidecars']));
    });

    test('security-admin touches nothing but the security-policy kinds: no secrets, no RBAC, no workloads', () => {
      const granted = clusterRules(objects, 'security-admin').flatMap((r: any) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`)).sort();
      expect(granted).toEqual([...MeshRoleSets.SECURITY_POLICY_RESOURCES].sort());
      expect(granted.filter((gr: string) => gr.endsWith('/secrets') || gr.startsWith(`${SUBJECT_GROUP}/`))).toEqual([]);
    });

    test('the app deployer role of NamespaceTeamRoles does not write them either', () => {
      const chart = Testing.chart();
      new NamespaceTeamRoles(chart, 'team', { namespace: 'reviews' });
      const deployer = findObject(synthValidated(chart), 'Role', 'app-deployer', 'reviews').rules;
      for (const groupResource of MeshRoleSets.SECURITY_POLICY_RESOURCES) {
        const [group, resource] = split(groupResource);
        expect(verbsOn(deployer, group, resource).filter((v) => WRITE_VERBS.includes(v))).toEqual([]);
      }
    });
  });

  describe('mesh-admin', () => {
    const rules = clusterRules(synthValidated(rolesChart().chart), 'mesh-admin');

    test('manages every Istio kind except the security-policy kinds, which it reads', () => {
      for (const groupResource of MeshRoleSets.ISTIO_RESOURCES) {
        const [group, resource] = split(groupResource);
        const expected = MeshRoleSets.SECURITY_POLICY_RESOURCES.includes(groupResource)
          ? ['get', 'list', 'watch']
          : ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
        expect({ groupResource, verbs: verbsOn(rules, group, resource) }).toEqual({ groupResource, verbs: expected });
      }
      expect(verbsOn(rules, 'networking.k8s.io', 'networkpolicies')).toEqual(['get', 'list', 'watch']);
    });

    test('covers every Istio API group', () => {
      const groups = new Set(rules.flatMap((r: any) => r.apiGroups));
      for (const g of ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io', 'install.istio.io']) {
        expect(groups).toContain(g);
      }
      expect([...MeshRoleSets.ISTIO_API_GROUPS].sort()).toEqual(['extensions.istio.io', 'install.istio.io', 'networking.istio.io', 'security.istio.io', 'telemetry.istio.io']);
    });

    test('reads namespaces, pods, services, endpoints', () => {
      for (const res of ['namespaces', 'pods', 'services', 'endpoints']) expect(verbsOn(rules, '', res)).toEqual(['get', 'list', 'watch']);
      expect(verbsOn(rules, 'discovery.k8s.io', 'endpointslices')).toEqual(['get', 'list', 'watch']);
    });

    test('webhooks: reads all, updates/patches only Istio\'s own by name, never creates or deletes', () => {
      const hooks = rules.filter((r: any) => r.apiGroups[0] === 'admissionregistration.k8s.io');
      const unnamed = hooks.filter((r: any) => !r.resourceNames);
      expect(unnamed.flatMap((r: any) => r.verbs).filter((v: string) => WRITE_VERBS.includes(v))).toEqual([]);
      expect(verbsOn(unnamed, 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations')).toEqual(['get', 'list', 'watch']);
      expect(verbsOn(unnamed, 'admissionregistration.k8s.io', 'validatingwebhookconfigurations')).toEqual(['get', 'list', 'watch']);
      const named = hooks.filter((r: any) => r.resourceNames);
      expect(named.map((r: any) => [r.resources, r.verbs, r.resourceNames])).toEqual([
        [['mutatingwebhookconfigurations'], ['update', 'patch'], ['istio-revision-tag-default', 'istio-sidecar-injector']],
        [['validatingwebhookconfigurations'], ['update', 'patch'], ['istio-validator-istio-system', 'istiod-default-validator']],
      ]);
    });

    test('the validating webhook name follows the control-plane namespace', () => {
      const { chart } = rolesChart({ controlPlaneNamespace: 'istio-cp' });
      const names = clusterRules(synthValidated(chart), 'mesh-admin').flatMap((r: any) => r.resourceNames ?? []);
      expect(names).toContain('istio-validator-istio-cp');
    });

    test('no secrets cluster-wide', () => {
      expect(rules.flatMap((r: any) => r.resources)).not.toContain('secrets');
    });
  });

  describe('mesh-auditor', () => {
    const rules = clusterRules(synthValidated(rolesChart().chart), 'mesh-auditor');

    test('only get/list/watch', () => {
      expect([...new Set(rules.flatMap((r: any) => r.verbs))].sort()).toEqual(['get', 'list', 'watch']);
    });

    test('reads every Istio kind, NetworkPolicies, the workloads, RBAC and admission policy', () => {
      const reads = [
        ...MeshRoleSets.ISTIO_RESOURCES,
        'networking.k8s.io/networkpolicies',
        '/namespaces', '/pods', '/services', '/serviceaccounts',
        `${SUBJECT_GROUP}/roles`, `${SUBJECT_GROUP}/rolebindings`, `${SUBJECT_GROUP}/clusterroles`, `${SUBJECT_GROUP}/clusterrolebindings`,
        'admissionregistration.k8s.io/validatingadmissionpolicies', 'admissionregistration.k8s.io/validatingadmissionpolicybindings',
      ];
      for (const groupResource of reads) {
        const [group, resource] = split(groupResource);
        expect({ groupResource, verbs: verbsOn(rules, group, resource) }).toEqual({ groupResource, verbs: ['get', 'list', 'watch'] });
      }
    });

    test('never secrets, nor exec/attach/portforward/proxy/token', () => {
      const resources = rules.flatMap((r: any) => r.resources);
      for (const res of ['secrets', 'pods/exec', 'pods/attach', 'pods/portforward', 'serviceaccounts/token', ...MeshRoleSets.AUDITOR_FORBIDDEN_RESOURCES]) {
        expect(resources).not.toContain(res);
      }
    });
  });

  describe('CA-1: control-plane secrets only through mesh-admin-secrets, bound to mesh admins', () => {
    const objects = synthValidated(rolesChart().chart);

    test('the only rule naming secrets is the mesh-admin-secrets Role in the control-plane namespace', () => {
      const secretRules = allRules(objects).filter(({ rule }) => rule.resources.includes('secrets'));
      expect(secretRules.map(({ role }) => role)).toEqual(['Role/mesh-admin-secrets']);
      const role = findObject(objects, 'Role', 'mesh-admin-secrets', 'istio-system');
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }]);
    });

    test('the Role is bound only to the mesh admins, in the control-plane namespace', () => {
      const bindings = ofKind(objects, 'RoleBinding').filter((b) => b.roleRef.name === 'mesh-admin-secrets');
      expect(bindings).toHaveLength(1);
      expect(bindings[0].metadata.namespace).toBe('istio-system');
      expect(bindings[0].roleRef).toEqual({ apiGroup: SUBJECT_GROUP, kind: 'Role', name: 'mesh-admin-secrets' });
      expect(bindings[0].subjects).toEqual(findObject(objects, 'ClusterRoleBinding', 'mesh-admins').subjects);
      expect(bindings[0].subjects).toEqual([
        { apiGroup: SUBJECT_GROUP, kind: 'Group', name: 'mesh-admins' },
        { kind: 'ServiceAccount', name: 'mesh-gitops', namespace: 'istio-system' },
      ]);
    });

    test('follows controlPlaneNamespace', () => {
      const { chart } = rolesChart({ controlPlaneNamespace: 'istio-cp' });
      const objs = synthValidated(chart);
      expect(findObject(objs, 'Role', 'mesh-admin-secrets', 'istio-cp')).toBeDefined();
      expect(findObject(objs, 'RoleBinding', 'mesh-admins', 'istio-cp')).toBeDefined();
    });

    test('security admins and auditors get no secrets binding', () => {
      const { chart } = rolesChart({ meshAdmins: [] });
      const objs = synthValidated(chart);
      expect(ofKind(objs, 'RoleBinding')).toEqual([]);
      expect(ofKind(objs, 'ClusterRoleBinding').map((b) => b.metadata.name).sort()).toEqual(['mesh-auditors', 'security-admins']);
    });
  });

  describe('bindings', () => {
    test('bind exactly the given subjects, sorted, with the right subject shape', () => {
      const objects = synthValidated(rolesChart().chart);
      expect(findObject(objects, 'ClusterRoleBinding', 'security-admins').subjects).toEqual([
        { apiGroup: SUBJECT_GROUP, kind: 'Group', name: 'security' },
      ]);
      expect(findObject(objects, 'ClusterRoleBinding', 'mesh-auditors').subjects).toEqual([
        { apiGroup: SUBJECT_GROUP, kind: 'Group', name: 'audit-contractors' },
        { apiGroup: SUBJECT_GROUP, kind: 'Group', name: 'auditors' },
      ]);
    });

    test('no subjects: roles only, no binding at all (default)', () => {
      const chart = Testing.chart();
      const roles = new MeshRoleSets(chart, 'roles');
      const objects = synthValidated(chart);
      expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
      expect(ofKind(objects, 'RoleBinding')).toEqual([]);
      expect(ofKind(objects, 'ClusterRole')).toHaveLength(3);
      expect(ofKind(objects, 'Role')).toHaveLength(1);
      expect(roles.meshAdminGroups).toEqual([]);
    });

    test('only auditors: only the auditor binding', () => {
      const chart = Testing.chart();
      new MeshRoleSets(chart, 'roles', { auditors: [RbacSubject.group('auditors')] });
      const objects = synthValidated(chart);
      expect([...ofKind(objects, 'ClusterRoleBinding'), ...ofKind(objects, 'RoleBinding')].map((b) => b.metadata.name)).toEqual(['mesh-auditors']);
    });

    test('add methods after construction reach the YAML', () => {
      const chart = Testing.chart();
      const roles = new MeshRoleSets(chart, 'roles');
      roles.addAuditor(RbacSubject.group('zed-team'));
      roles.addMeshAdmin(RbacSubject.group('ops'));
      roles.addSecurityAdmin(RbacSubject.group('sec'));
      roles.addAuditor(RbacSubject.group('amy-team'));
      const objects = synthValidated(chart);
      expect(findObject(objects, 'ClusterRoleBinding', 'mesh-auditors').subjects.map((s: any) => s.name)).toEqual(['amy-team', 'zed-team']);
      expect(findObject(objects, 'ClusterRoleBinding', 'mesh-admins').subjects.map((s: any) => s.name)).toEqual(['ops']);
      expect(findObject(objects, 'RoleBinding', 'mesh-admins', 'istio-system').subjects.map((s: any) => s.name)).toEqual(['ops']);
      expect(findObject(objects, 'ClusterRoleBinding', 'security-admins').subjects.map((s: any) => s.name)).toEqual(['sec']);
    });

    test('idempotent: the same subject twice (equal value, different instance) binds once', () => {
      const { chart, roles } = rolesChart();
      roles.addMeshAdmin(RbacSubject.group('mesh-admins'));
      roles.addMeshAdmin(RbacSubject.serviceAccount('istio-system', 'mesh-gitops'));
      roles.addSecurityAdmin(RbacSubject.group('security'));
      roles.addAuditor(RbacSubject.group('audit-contractors'));
      const objects = synthValidated(chart);
      expect(findObject(objects, 'ClusterRoleBinding', 'mesh-admins').subjects).toHaveLength(2);
      expect(findObject(objects, 'RoleBinding', 'mesh-admins', 'istio-system').subjects).toHaveLength(2);
      expect(findObject(objects, 'ClusterRoleBinding', 'security-admins').subjects).toHaveLength(1);
      expect(findObject(objects, 'ClusterRoleBinding', 'mesh-auditors').subjects).toHaveLength(2);
      expect(ofKind(objects, 'ClusterRoleBinding')).toHaveLength(3);
      expect(ofKind(objects, 'RoleBinding')).toHaveLength(1);
      expect(roles.meshAdminGroups).toEqual(['mesh-admins']);
    });

    test('the same subject may hold several roles (separate bindings)', () => {
      const chart = Testing.chart();
      const sec = RbacSubject.group('security');
      new MeshRoleSets(chart, 'roles', { securityAdmins: [sec], auditors: [sec] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'ClusterRoleBinding', 'security-admins').subjects).toEqual(findObject(objects, 'ClusterRoleBinding', 'mesh-auditors').subjects);
    });

    test('deterministic: neither subject order nor add-method order changes the output (OPS-2)', () => {
      const a = RbacSubject.group('b-team');
      const b = RbacSubject.group('a-team');
      const c = RbacSubject.serviceAccount('istio-system', 'ci-deployer');
      const d = RbacSubject.serviceAccount('istio-system', 'argo-deployer');
      const synth = (calls: Array<[('addMeshAdmin' | 'addSecurityAdmin' | 'addAuditor'), RbacSubject]>) => {
        const chart = Testing.chart();
        const roles = new MeshRoleSets(chart, 'roles');
        for (const [method, subject] of calls) roles[method](subject);
        return JSON.stringify(synthValidated(chart));
      };
      const first = synth([['addMeshAdmin', a], ['addMeshAdmin', b], ['addSecurityAdmin', c], ['addAuditor', d], ['addAuditor', a]]);
      expect(synth([['addAuditor', a], ['addAuditor', d], ['addSecurityAdmin', c], ['addMeshAdmin', b], ['addMeshAdmin', a]])).toBe(first);
      expect(synth([['addSecurityAdmin', c], ['addMeshAdmin', b], ['addAuditor', a], ['addMeshAdmin', a], ['addAuditor', d]])).toBe(first);
    });
  });

  describe('meshAdminGroups', () => {
    test('the sorted names of the Group subjects bound as mesh admins, including later adds', () => {
      const chart = Testing.chart();
      const roles = new MeshRoleSets(chart, 'roles', {
        meshAdmins: [RbacSubject.group('z-admins'), RbacSubject.group('alice-team'), RbacSubject.serviceAccount('istio-system', 'ci-mesh')],
        securityAdmins: [RbacSubject.group('security')],
        auditors: [RbacSubject.group('auditors')],
      });
      expect(roles.meshAdminGroups).toEqual(['alice-team', 'z-admins']);
      roles.addMeshAdmin(RbacSubject.group('a-admins'));
      roles.addMeshAdmin(RbacSubject.group('a-admins'));
      expect(roles.meshAdminGroups).toEqual(['a-admins', 'alice-team', 'z-admins']);
    });
  });

  describe('guards', () => {
    test.each([
      ['a user', RbacSubject.user('carol@example.com')],
      ['a ServiceAccount outside the control plane', RbacSubject.serviceAccount('ci', 'deployer')],
    ])('%s cannot hold cluster-wide operator rights', (_what, subject) => {
      const chart = Testing.chart();
      expect(() => new MeshRoleSets(chart, 'roles', { auditors: [subject] })).toThrow(/\[test\/roles\] auditors: .* cannot hold cluster-wide operator rights \(RBAC-1, NS-1\)\. Bind a Group of operators/);
    });

    test.each(['', 'Istio-System', 'istio_system', 'a'.repeat(64), '-istio'])('controlPlaneNamespace "%s" is not a DNS-1123 label', (controlPlaneNamespace) => {
      expect(() => new MeshRoleSets(Testing.chart(), 'roles', { controlPlaneNamespace }))
        .toThrow(/^\[test\/roles\] controlPlaneNamespace: ".*" (must be no more than 63|a lowercase RFC 1123 label).*Use lower-case letters/);
    });

    test.each([
      ['group system:authenticated', RbacSubject.group('system:authenticated')],
      ['group system:unauthenticated', RbacSubject.group('system:unauthenticated')],
      ['group system:serviceaccounts', RbacSubject.group('system:serviceaccounts')],
      ['group system:serviceaccounts:istio-system', RbacSubject.group('system:serviceaccounts:istio-system')],
      ['user system:anonymous', RbacSubject.user('system:anonymous')],
    ])('binding everyone (%s) is an error, in props and in every add method', (_, subject) => {
      expect(() => new MeshRoleSets(Testing.chart(), 'roles', { meshAdmins: [subject] }))
        .toThrow(/^\[test\/roles\] meshAdmins: .*stands for every user or workload.*Bind a named operator group/);
      expect(() => new MeshRoleSets(Testing.chart(), 'roles', { securityAdmins: [subject] })).toThrow(/^\[test\/roles\] securityAdmins: /);
      expect(() => new MeshRoleSets(Testing.chart(), 'roles', { auditors: [subject] })).toThrow(/^\[test\/roles\] auditors: /);
      const roles = new MeshRoleSets(Testing.chart(), 'roles');
      expect(() => roles.addMeshAdmin(subject)).toThrow(/meshAdmins: .*stands for every user or workload/);
      expect(() => roles.addSecurityAdmin(subject)).toThrow(/securityAdmins: .*stands for every user or workload/);
      expect(() => roles.addAuditor(subject)).toThrow(/auditors: .*stands for every user or workload/);
      expect(roles.meshAdminGroups).toEqual([]);
    });

    test('a second MeshRoleSets in the same app is an error (cluster-scoped names would collide)', () => {
      const app = Testing.app();
      const one = new Chart(app, 'one');
      const two = new Chart(app, 'two');
      new MeshRoleSets(one, 'a');
      expect(() => new MeshRoleSets(two, 'b')).toThrow(/^\[two\/b\] MeshRoleSets: the app already has mesh role sets from one\/a.*Create one MeshRoleSets per app/);
      expect(() => new MeshRoleSets(Testing.chart(), 'c')).not.toThrow();
    });
  });

  describe('the exported lists', () => {
    test('are frozen', () => {
      expect(() => MeshRoleSets.SECURITY_POLICY_RESOURCES.pop()).toThrow();
      expect(() => MeshRoleSets.ISTIO_RESOURCES.push('x/y')).toThrow();
      expect(() => MeshRoleSets.ISTIO_API_GROUPS.push('x')).toThrow();
      expect(() => MeshRoleSets.AUDITOR_FORBIDDEN_RESOURCES.pop()).toThrow();
    });

    test('ISTIO_RESOURCES covers every resource of the pinned Istio CRDs', () => {
      const served = [...new Set(pinnedCrdCatalog().versions().map((v) => `${v.group}/${v.plural}`))];
      expect(served.length).toBeGreaterThan(10);
      for (const groupResource of served) expect(MeshRoleSets.ISTIO_RESOURCES).toContain(groupResource);
    });

    test('the auditor list names secrets and the ways to reach them', () => {
      expect(MeshRoleSets.AUDITOR_FORBIDDEN_RESOURCES).toEqual(expect.arrayContaining(['secrets', 'pods/exec', 'pods/attach', 'pods/portforward', 'serviceaccounts/token', '*']));
    });
  });
});
