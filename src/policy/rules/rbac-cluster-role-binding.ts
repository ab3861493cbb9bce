import { AdmissionCheck, PolicyRule, RuleContext, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { RBAC_GROUP, adminNamespaces, isMeshAdminSubject, subjectLabel, subjectsOf } from './rbac-mesh-admins';
import { celIsKind, celString, celStrings, isRecord } from './workload-pod-specs';

/** `ClusterRole "x"` (or what the roleRef names), for messages. */
export function roleRefLabel(binding: { readonly [key: string]: any }): string {
  const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
  return `${typeof ref.kind === 'string' ? ref.kind : 'role'} "${ref.name ?? '<no name>'}"`;
}

/**
 * RBAC-CRB-001 (NS-1): ClusterRoleBindings bind mesh administrators only.
 *
 * Every subject must be a Group in `meshAdminGroups` (or an operator group), or a service
 * account of `kube-system` or the control-plane namespace (see `isMeshAdminSubject`). Other
 * `system:` users and groups (`system:masters`, `system:nodes`, the everyone groups) are not
 * admins: their bindings are the API server's, never an app's.
 *
 * No `admission` on the rule itself: who the admins are is the cluster's setting, not the
 * rule's. `clusterRoleBindingAdmission(ctx)` renders the same check with the groups inlined.
 */
export const RBAC_CRB_001: PolicyRule = {
  id: 'RBAC-CRB-001',
  practices: ['NS-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(RBAC_GROUP, 'ClusterRoleBinding')],
  title: 'ClusterRoleBindings bind only mesh administrators',
  explanation:
    'A ClusterRoleBinding grants its role in every namespace, present and future, including the mesh root and '
    + 'control-plane namespaces. Bound to an app team, a user or an app service account it breaks the namespace '
    + 'boundary: the team can act on other teams\' workloads and on mesh-wide policy.',
  fix:
    'Bind app teams with a RoleBinding in their own namespace (HardenedNamespace deployers/viewers do this). If the '
    + 'subject really administers the mesh, add its group to the mesh admin groups: MeshRoleSets meshAdmins at synth; '
    + 'for the audit, the access command and the validation plugin, meshAdminGroups (or operatorGroups) in secure-mesh.yaml, '
    + 'the flag --mesh-admin-group (--operator-group) or the plugin property meshAdminGroups (operatorGroups). A PolicyException is right only '
    + 'for a cluster-wide agent (e.g. a GitOps controller) whose ClusterRole is read-only or narrowly scoped.',
  admissionFor: (ctx) => clusterRoleBindingAdmission(ctx),
  check(object, ctx) {
    if (!isKind(object, RBAC_GROUP, 'ClusterRoleBinding')) return [];
    // Security admins and auditors are operators too: they may hold cluster-wide bindings.
    ctx = { ...ctx, meshAdminGroups: [...ctx.meshAdminGroups, ...(ctx.operatorGroups ?? [])] };
    const out: RuleViolation[] = [];
    for (const { index, subject } of subjectsOf(object)) {
      if (isMeshAdminSubject(subject, ctx)) continue;
      out.push({
        path: `subjects[${index}]`,
        message: `binds ${roleRefLabel(object)} cluster-wide to ${subjectLabel(subject)}, which is not a mesh administrator`
          + ` (admin groups: ${ctx.meshAdminGroups.length > 0 ? ctx.meshAdminGroups.join(', ') : 'none configured'};`
          + ` admin service accounts: ${adminNamespaces(ctx).join(', ')})`,
      });
    }
    return out;
  },
};

/**
 * RBAC-CRB-001 as an admission check for one cluster: the same subject test as `check()`, with
 * the cluster's mesh admin and operator groups and control-plane namespace written into the CEL.
 */
export function clusterRoleBindingAdmission(ctx: RuleContext): AdmissionCheck {
  // Security admins and auditors are operators too, as in check().
  ctx = { ...ctx, meshAdminGroups: [...ctx.meshAdminGroups, ...(ctx.operatorGroups ?? [])] };
  const ns = celStrings(adminNamespaces(ctx));
  const saGroup = 'system:serviceaccounts:';
  const saUser = 'system:serviceaccount:';
  const subject = [
    "s.kind == 'ServiceAccount' ? (has(s.namespace) && s.namespace in " + ns + ')',
    `: s.kind == 'Group' ? (s.name in ${celStrings(ctx.meshAdminGroups)} || (s.name.startsWith(${celString(saGroup)})`
    + ` && s.name.substring(${saGroup.length}) in ${ns}))`,
    `: s.kind == 'User' ? (s.name.startsWith(${celString(saUser)}) && s.name.split(':')[2] in ${ns})`,
    ': false',
  ].join(' ');
  return {
    resources: [{ apiGroups: [RBAC_GROUP], apiVersions: ['*'], resources: ['clusterrolebindings'] }],
    expression: `!${celIsKind(RBAC_GROUP, ['ClusterRoleBinding'])} || !has(object.subjects) `
      + `|| object.subjects.all(s, has(s.kind) && has(s.name) && (${subject}))`,
    message: `RBAC-CRB-001: ClusterRoleBindings may bind only mesh administrators (groups ${ctx.meshAdminGroups.join(', ') || '(none)'}, `
      + `service accounts in ${adminNamespaces(ctx).join(', ')})`,
  };
}
