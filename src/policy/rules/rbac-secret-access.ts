import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { bindingRole, isBinding, isConfiguredAdminSubject, secretGrants, serviceAccountNamespace } from './rbac-grants';
import { RBAC_GROUP, adminNamespaces, grantsSecretRead, subjectLabel, subjectsOf } from './rbac-mesh-admins';

/**
 * RBAC-SECRET-001 (CA-1, RBAC-1): Secrets are granted only to mesh administrators, and to a
 * namespace's own service accounts within that namespace.
 *
 * Judged over the bindings, because a role that grants Secrets is as safe as who holds it and
 * where: for every RoleBinding and ClusterRoleBinding whose role grants any verb on Secrets
 * (`secrets` or `*` in the core group or `*`; a Role in the binding's namespace, a ClusterRole
 * among the objects with what it aggregates, or the built-in `view` with the ClusterRoles
 * labelled `aggregate-to-view`), each subject is a violation unless it is
 * - a mesh administrator: a Group in `meshAdminGroups`, or a service account of `kube-system` or
 *   the control-plane namespace (not any `system:` name, not operator groups: security admins
 *   and auditors read no Secrets); or
 * - in a RoleBinding of namespace N, a service account of N (`ServiceAccount N/x`,
 *   `system:serviceaccount:N:x`, `system:serviceaccounts:N`): a workload reading its own
 *   namespace's Secrets.
 * So a ClusterRole that grants Secrets is fine bound per namespace to that namespace's workloads
 * or cluster-wide to mesh admins, and a finding bound cluster-wide to anyone else (Secrets of
 * every namespace, outside the team's own); people (users and groups) never get Secrets, which
 * keeps the deployer and viewer roles Secret-free (RBAC-1); a service account never gets another
 * namespace's Secrets. Writes count as much as reads: creating a service-account-token Secret
 * yields a token for any service account of the namespace, and replacing a TLS Secret or
 * `cacerts` swaps keys.
 *
 * This is the binding-dependent half of RBAC-SENS-001 (which judges one role alone and has the
 * admission form); it has no admission form, since one binding does not show what its role grants.
 * Left to other rules: the built-in `cluster-admin`, `admin` and `edit` (RBAC-BUILTIN-001),
 * bindings in the control-plane namespace to roles that read Secrets (RBAC-CA-001; write-only
 * grants there are reported here), bindings to roles that are neither among the objects nor built
 * in (they cannot be judged).
 *
 * Why not "a ClusterRole with Secrets is a finding" alone: a ClusterRole reused by RoleBindings in
 * each namespace (the usual way to share a role definition) would be flagged though it grants
 * nothing outside a namespace, and the library's own output puts the mesh admins' Secrets in a
 * Role of the control-plane namespace, so judging by bindings raises no false alarm on it either.
 */
export const RBAC_SECRET_001: PolicyRule = {
  id: 'RBAC-SECRET-001',
  practices: ['CA-1', 'RBAC-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'Secrets are granted only to mesh administrators and to a namespace\'s own service accounts, in that namespace',
  explanation:
    'Reading a Secret (get, and also list and watch, which return the data) discloses service account tokens, TLS keys and '
    + 'credentials; writing one plants credentials, swaps certificates or mints a token for any service account of the '
    + 'namespace. Granted cluster-wide, it reaches every namespace\'s Secrets (outside the team\'s own, and the CA key); '
    + 'granted to people, the keys leave the cluster on laptops and the deployer role becomes a credentials reader; '
    + 'granted to another namespace\'s service account, one compromised workload reads its neighbours\' keys.',
  fix:
    'Bind roles that grant Secrets with a RoleBinding in the namespace whose Secrets they are, to that namespace\'s own '
    + 'service accounts; give people deployer/viewer roles without Secrets (NamespaceTeamRoles) and deliver secret values '
    + 'from a secret manager (SECRET-1) or the GitOps pipeline. Cluster-wide Secret access belongs to mesh admins (MeshRoleSets '
    + 'meshAdmins; meshAdminGroups in secure-mesh.yaml). A PolicyException is right for a cluster-wide controller that '
    + 'must watch Secrets (a cert or secret-sync controller) owned by the platform team.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const cp = ctx.controlPlaneNamespace;
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const binding of ctx.objects) {
      if (!isBinding(binding)) continue;
      const role = bindingRole(binding, ctx);
      if (role.kind !== 'known') continue;
      const grant = role.rules.flatMap((r) => secretGrants(r.rule).map((g) => `${r.source} rule ${r.index} grants ${g.what}`))[0];
      if (!grant) continue;
      const roleBinding = isKind(binding, RBAC_GROUP, 'RoleBinding');
      const ns = binding.metadata?.namespace;
      // Reads in the control-plane namespace are RBAC-CA-001's (which names the CA key).
      if (roleBinding && ns === cp && role.rules.some((r) => grantsSecretRead(r.rule))) continue;
      for (const { index, subject } of subjectsOf(binding)) {
        if (isConfiguredAdminSubject(subject, ctx.meshAdminGroups, ctx)) continue;
        const saNs = serviceAccountNamespace(subject);
        let why: string;
        if (!roleBinding) {
          why = 'Secrets of every namespace';
        } else if (saNs === undefined) {
          why = `Secrets of namespace "${ns}", though people (and the deployer and viewer roles) get no Secrets`;
        } else if (saNs === ns) {
          continue; // a namespace's own service accounts (a person subject never gets here: saNs is undefined)
        } else {
          why = `Secrets of namespace "${ns}", outside its own namespace${saNs === null ? ' (it has none)' : ` "${saNs}"`}`;
        }
        out.push({
          object: binding,
          violation: {
            path: `subjects[${index}]`,
            message: `gives ${subjectLabel(subject)} ${why}: ${grant} (only mesh administrators (admin groups: `
              + `${ctx.meshAdminGroups.length > 0 ? ctx.meshAdminGroups.join(', ') : 'none configured'}; service accounts of `
              + `${adminNamespaces(ctx).join(', ')}) and a namespace's own service accounts get Secrets)`,
          },
        });
      }
    }
    return out;
  },
};
