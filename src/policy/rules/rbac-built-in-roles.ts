import { AdmissionCheck, PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, kindKey } from '../rule';
import { BUILT_IN_POWER_ROLES, SA_GROUP_PREFIX, SA_USER_PREFIX, isBinding, isConfiguredAdminSubject } from './rbac-grants';
import { RBAC_GROUP, adminNamespaces, subjectLabel, subjectsOf } from './rbac-mesh-admins';
import { celIsKind, celString, celStrings, isRecord } from './workload-pod-specs';

/** The built-in power role a binding refers to (`cluster-admin`, `admin`, `edit`), if any. */
export function builtInPowerRoleOf(binding: RuleObject): string | undefined {
  const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
  return ref.kind === 'ClusterRole' && typeof ref.name === 'string' && BUILT_IN_POWER_ROLES.includes(ref.name) ? ref.name : undefined;
}

const WHAT_THEY_GRANT: { readonly [role: string]: string } = {
  'cluster-admin': 'everything, in every namespace',
  'admin': 'Secrets, pods/exec, impersonation of the namespace\'s service accounts, Roles and RoleBindings, NetworkPolicies, and '
    + 'every kind aggregated into it (on many clusters the Istio kinds)',
  'edit': 'Secrets, pods/exec, impersonation of the namespace\'s service accounts, NetworkPolicies, and every kind aggregated into '
    + 'it (on many clusters the Istio kinds)',
};

/**
 * RBAC-BUILTIN-001 (NS-1, RBAC-1): the built-in ClusterRoles `cluster-admin`, `admin` and `edit`
 * are bound to mesh administrators only, in a RoleBinding of any namespace as in a
 * ClusterRoleBinding.
 *
 * `admin` and `edit` are the namespace roles Kubernetes ships for "people who own a namespace":
 * they read and write Secrets, exec into pods, impersonate the namespace's service accounts,
 * write NetworkPolicies and every kind aggregated into them (`aggregate-to-admin/edit`: on
 * clusters where the Istio distribution or the platform aggregates the Istio kinds, this is
 * AuthorizationPolicy and PeerAuthentication too). Bound to an app team they break the
 * deployer / policy-owner separation (RBAC-1); use `NamespaceTeamRoles` instead.
 *
 * Mesh administrators here are stricter than `isMeshAdminSubject`: only a Group in
 * `meshAdminGroups` and the service accounts of `kube-system` and the control-plane namespace
 * (also as `system:serviceaccount:<ns>:<name>` / `system:serviceaccounts:<ns>`). Other `system:`
 * users and groups do not count: Kubernetes' own `cluster-admin` binding to `system:masters` is
 * created by the API server, not by an app. Operator groups (security admins, auditors) do not
 * count either: these roles read Secrets.
 *
 * A RoleBinding to a Role named `admin` refers to that Role, not to the built-in ClusterRole, and
 * is not this rule's business. A ClusterRole named like a built-in among the objects does not
 * make the binding safer: the API server reconciles the built-ins (and the binding grants them).
 *
 * A ClusterRoleBinding of these roles to an app team is also RBAC-CRB-001's finding (any
 * cluster-wide binding); this rule is stricter for them (operators and `system:` subjects too).
 *
 * No `admission` on the rule: the admin groups are the cluster's setting; `builtInRoleBindingAdmission(ctx)`
 * renders the same check with them inlined.
 */
export const RBAC_BUILTIN_001: PolicyRule = {
  id: 'RBAC-BUILTIN-001',
  practices: ['NS-1', 'RBAC-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(RBAC_GROUP, 'RoleBinding'), kindKey(RBAC_GROUP, 'ClusterRoleBinding')],
  title: 'The built-in cluster-admin, admin and edit roles are bound only to mesh administrators',
  explanation:
    'cluster-admin is everything everywhere. admin and edit, even bound in one namespace, read every Secret there (service '
    + 'account tokens, TLS keys), exec into every pod, impersonate the namespace\'s service accounts, rewrite its '
    + 'NetworkPolicies and, through aggregation, often its Istio AuthorizationPolicies and PeerAuthentications: an app '
    + 'team holding them is its own security administrator, and the deployer / policy-owner separation (RBAC-1) is gone.',
  fix:
    'Bind app teams with NamespaceTeamRoles / HardenedNamespace deployers and viewers (no Secrets, no exec, policy read-only), '
    + 'or a Role listing what they need. Bind cluster-admin to nobody from an app; mesh operators get MeshRoleSets. If the '
    + 'subject really administers the mesh, add its group to the mesh admin groups (MeshRoleSets meshAdmins; meshAdminGroups in '
    + 'secure-mesh.yaml, --mesh-admin-group, the plugin property meshAdminGroups). A PolicyException is right only for a '
    + 'break-glass binding owned by the platform team, with an expiry.',
  admissionFor: (ctx) => builtInRoleBindingAdmission(ctx),
  check(object, ctx) {
    if (!isBinding(object)) return [];
    const role = builtInPowerRoleOf(object);
    if (!role) return [];
    const where = object.kind === 'RoleBinding' ? `in namespace "${object.metadata?.namespace ?? '<no namespace>'}"` : 'cluster-wide';
    const out: RuleViolation[] = [];
    for (const { index, subject } of subjectsOf(object)) {
      if (isConfiguredAdminSubject(subject, ctx.meshAdminGroups, ctx)) continue;
      out.push({
        path: `subjects[${index}]`,
        message: `binds the built-in ClusterRole "${role}" ${where} to ${subjectLabel(subject)}, which is not a mesh administrator`
          + ` (admin groups: ${ctx.meshAdminGroups.length > 0 ? ctx.meshAdminGroups.join(', ') : 'none configured'};`
          + ` admin service accounts: ${adminNamespaces(ctx).join(', ')}): ${role} grants ${WHAT_THEY_GRANT[role]}`,
      });
    }
    return out;
  },
};

/**
 * RBAC-BUILTIN-001 as an admission check for one cluster: the same subject test as `check()`,
 * with the cluster's mesh admin groups and control-plane namespace written into the CEL.
 */
export function builtInRoleBindingAdmission(ctx: RuleContext): AdmissionCheck {
  const ns = celStrings(adminNamespaces(ctx));
  const subject = [
    `s.kind == 'ServiceAccount' ? (has(s.namespace) && s.namespace in ${ns})`,
    `: s.kind == 'Group' ? (s.name in ${celStrings(ctx.meshAdminGroups)}`
    + ` || (s.name.startsWith(${celString(SA_GROUP_PREFIX)}) && s.name.substring(${SA_GROUP_PREFIX.length}) in ${ns}))`,
    `: s.kind == 'User' ? (s.name.startsWith(${celString(SA_USER_PREFIX)}) && s.name.split(':')[2] in ${ns})`,
    ': false',
  ].join(' ');
  return {
    resources: [{ apiGroups: [RBAC_GROUP], apiVersions: ['*'], resources: ['rolebindings', 'clusterrolebindings'] }],
    expression: `!${celIsKind(RBAC_GROUP, ['RoleBinding', 'ClusterRoleBinding'])} || !has(object.roleRef) || !has(object.roleRef.kind) `
      + `|| !has(object.roleRef.name) || object.roleRef.kind != 'ClusterRole' || !(object.roleRef.name in ${celStrings(BUILT_IN_POWER_ROLES)}) `
      + `|| !has(object.subjects) || object.subjects.all(s, has(s.kind) && has(s.name) && (${subject}))`,
    message: 'RBAC-BUILTIN-001: the built-in ClusterRoles cluster-admin, admin and edit may be bound only to mesh administrators (groups '
      + `${ctx.meshAdminGroups.join(', ') || '(none)'}, service accounts in ${adminNamespaces(ctx).join(', ')})`,
  };
}
