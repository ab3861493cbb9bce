import { PolicyRule, RuleObject, RuleSeverity, RuleViolation } from '../rule';
import { bindingRole, isBinding, isConfiguredAdminSubject, policyWriteGrants } from './rbac-grants';
import { adminNamespaces, subjectLabel, subjectsOf } from './rbac-mesh-admins';

/**
 * RBAC-POLICY-001 (RBAC-1): only mesh administrators and operators can change mesh policy;
 * deployers and viewers cannot, whatever role they are bound to.
 *
 * Policy kinds: every kind of `security.istio.io` (AuthorizationPolicy, PeerAuthentication,
 * RequestAuthentication), `networking.istio.io` (Sidecar, EnvoyFilter, VirtualService,
 * DestinationRule, Gateway, ServiceEntry, ...) and `extensions.istio.io` (WasmPlugin: code in the
 * sidecar ahead of authorization), and `networking.k8s.io` NetworkPolicies; also those names, or
 * `*`, in API group `*`. Subresources (`status`) do not change policy and do not count.
 *
 * For every RoleBinding and ClusterRoleBinding whose role grants `create`, `update`, `patch`,
 * `delete`, `deletecollection` or `*` on a policy kind (a Role in the binding's namespace, a
 * ClusterRole among the objects with what its `aggregationRule` selects, or the built-in `view`
 * with the ClusterRoles labelled `aggregate-to-view`), each subject is a violation unless it is a
 * Group in `meshAdminGroups` or `operatorGroups` (the security admins own AuthorizationPolicies:
 * MeshRoleSets binds them `security-admin`) or a service account of `kube-system` or the
 * control-plane namespace (also written `system:serviceaccount:<ns>:<name>` or
 * `system:serviceaccounts:<ns>`). Other `system:` names do not count.
 *
 * The library's `app-deployer` and `app-viewer` Roles (NamespaceTeamRoles, HardenedNamespace)
 * read policy kinds and never write them; this rule keeps it so after JSON patches and next to
 * roles written by hand, and its twin for Secrets is RBAC-SECRET-001. Not here: the built-in
 * `cluster-admin`, `admin` and `edit` (RBAC-BUILTIN-001 reports every non-admin binding of them,
 * so they are not reported twice); roles neither among the objects nor built in (cannot be
 * judged); Gateway API routes (`gateway.networking.k8s.io`), which app teams own by design.
 * Operator groups are not told apart: an auditor group bound to a policy writer passes.
 */
export const RBAC_POLICY_001: PolicyRule = {
  id: 'RBAC-POLICY-001',
  practices: ['RBAC-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'Only mesh administrators and operators are bound to roles that write mesh policy',
  explanation:
    'Whoever can write AuthorizationPolicies, PeerAuthentications, RequestAuthentications, Sidecars, EnvoyFilters, '
    + 'WasmPlugins, routing or NetworkPolicies decides who may call whom: a deployer with that right can allow its '
    + 'callers everything, turn mTLS to PERMISSIVE, or route around the checks, and the separation between shipping code '
    + 'and owning policy (RBAC-1) is gone.',
  fix:
    'Bind app teams to roles that only read the policy kinds (NamespaceTeamRoles / HardenedNamespace deployers and '
    + 'viewers); policy changes go through the security admins (MeshRoleSets securityAdmins) or the mesh admins, e.g. by '
    + 'pull request to the GitOps repository. If the subject is an operator, add its group to operatorGroups (or '
    + 'meshAdminGroups) in secure-mesh.yaml / MeshRoleSets. A PolicyException is right only for a controller owned by '
    + 'the platform team that manages policy objects itself (e.g. a GitOps agent in its own namespace).',
  check() {
    return [];
  },
  checkAll(ctx) {
    const operators = [...ctx.meshAdminGroups, ...(ctx.operatorGroups ?? [])];
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const binding of ctx.objects) {
      if (!isBinding(binding)) continue;
      const role = bindingRole(binding, ctx);
      if (role.kind !== 'known') continue;
      const grant = role.rules.flatMap((r) => policyWriteGrants(r.rule).map((g) => `${r.source} rule ${r.index} grants ${g.what}`))[0];
      if (!grant) continue;
      for (const { index, subject } of subjectsOf(binding)) {
        if (isConfiguredAdminSubject(subject, operators, ctx)) continue;
        out.push({
          object: binding,
          violation: {
            path: `subjects[${index}]`,
            message: `lets ${subjectLabel(subject)}, which is neither a mesh administrator nor an operator, write mesh policy: ${grant} `
              + `(admin and operator groups: ${operators.length > 0 ? operators.join(', ') : 'none configured'}; `
              + `admin service accounts: ${adminNamespaces(ctx).join(', ')})`,
          },
        });
      }
    }
    return out;
  },
};
