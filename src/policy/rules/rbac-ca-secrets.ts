import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { selectorMatches } from './network-label-selector';
import { RBAC_GROUP, grantsSecretRead, isMeshAdminSubject, policyRulesOf, subjectLabel, subjectsOf } from './rbac-mesh-admins';
import { isRecord } from './workload-pod-specs';

/**
 * Built-in ClusterRoles (created by the API server, so absent from the app's objects) that read
 * Secrets: `cluster-admin` (everything), `admin` and `edit` (Secrets in the namespaces they are
 * bound in). A ClusterRole of the same name among the objects is read instead.
 */
export const BUILT_IN_SECRET_READERS: readonly string[] = ['cluster-admin', 'admin', 'edit'];

type Reason = string;

/**
 * ClusterRoles (by name) that read Secrets, with why. An aggregated ClusterRole reads Secrets
 * when a ClusterRole its `aggregationRule` selects does (followed to a fixed point).
 */
function clusterRoleSecretReaders(ctx: RuleContext): Map<string, Reason> {
  const roles = ctx.objects.filter((o) => isKind(o, RBAC_GROUP, 'ClusterRole') && typeof o.metadata?.name === 'string');
  const readers = new Map<string, Reason>();
  for (const name of BUILT_IN_SECRET_READERS) {
    if (!roles.some((r) => r.metadata?.name === name)) readers.set(name, `the built-in ClusterRole "${name}" reads Secrets`);
  }
  for (const role of roles) {
    const hit = policyRulesOf(role).find(({ rule }) => grantsSecretRead(rule));
    if (hit) readers.set(role.metadata!.name!, `ClusterRole "${role.metadata!.name}" rule ${hit.index} reads Secrets`);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const role of roles) {
      const name = role.metadata!.name!;
      const agg: unknown = role.aggregationRule;
      if (readers.has(name) || !isRecord(agg) || !Array.isArray(agg.clusterRoleSelectors)) continue;
      const source = roles.find((other) => other !== role && readers.has(other.metadata!.name!)
        && agg.clusterRoleSelectors.some((sel: unknown) => selectorMatches(sel, other.metadata?.labels ?? {})));
      if (source) {
        readers.set(name, `ClusterRole "${name}" aggregates "${source.metadata!.name}", which reads Secrets`);
        changed = true;
      }
    }
  }
  return readers;
}

/** Why the role a binding refers to reads Secrets (a Role is looked up in `roleNamespace`), or undefined. */
function bindingReadsSecrets(
  binding: RuleObject, roleNamespace: string | undefined, ctx: RuleContext, clusterReaders: Map<string, Reason>,
): Reason | undefined {
  const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
  if (typeof ref.name !== 'string') return undefined;
  if (ref.kind === 'ClusterRole') return clusterReaders.get(ref.name);
  if (ref.kind !== 'Role' || roleNamespace === undefined) return undefined;
  const role = ctx.objects.find((o) => isKind(o, RBAC_GROUP, 'Role') && o.metadata?.namespace === roleNamespace && o.metadata?.name === ref.name);
  const hit = role && policyRulesOf(role).find(({ rule }) => grantsSecretRead(rule));
  return hit ? `Role "${roleNamespace}/${ref.name}" rule ${hit.index} reads Secrets` : undefined;
}

/**
 * RBAC-CA-001 (CA-1): Secrets in the control-plane namespace, where an in-cluster mesh CA keeps
 * its signing key (`istio-ca-secret`, `cacerts`), are readable by mesh administrators only.
 *
 * Looks at RoleBindings in the control-plane namespace (to a Role there or a ClusterRole) and at
 * ClusterRoleBindings; a role reads Secrets when a rule grants get, list, watch or `*` on
 * `secrets` or `*` in the core group (`""` or `*`), even narrowed by resourceNames. Each subject
 * that is not a mesh admin (as in RBAC-CRB-001) is one violation on the binding. Bindings to
 * roles that are neither among the objects nor built in cannot be judged and are skipped.
 */
export const RBAC_CA_001: PolicyRule = {
  id: 'RBAC-CA-001',
  practices: ['CA-1'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'Only mesh administrators can read Secrets in the control-plane namespace',
  explanation:
    "The mesh CA's signing key lives in a Secret in the control-plane namespace when the CA runs in the cluster. "
    + 'Whoever can read it can mint a certificate for any workload identity, so every mTLS peer check and every '
    + 'principal-based AuthorizationPolicy in the mesh can be forged.',
  fix:
    'Bind roles that read Secrets in the control-plane namespace only to mesh admin groups (MeshRoleSets meshAdmins; for '
    + 'the audit and the validation plugin, meshAdminGroups in secure-mesh.yaml, the flag --mesh-admin-group or the plugin '
    + 'property meshAdminGroups; the namespace: controlPlaneNamespace / --control-plane-namespace) (or to service accounts '
    + 'in that namespace or kube-system). Give auditors and app teams roles without Secret access there, or use a '
    + 'managed CA (CA Service / Mesh CA) so the key is not in the cluster. A PolicyException is right only for a '
    + 'backup or secret-sync agent owned by the mesh administrators.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const cp = ctx.controlPlaneNamespace;
    const clusterReaders = clusterRoleSecretReaders(ctx);
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const binding of ctx.objects) {
      let why: Reason | undefined;
      if (isKind(binding, RBAC_GROUP, 'RoleBinding') && binding.metadata?.namespace === cp) {
        why = bindingReadsSecrets(binding, cp, ctx, clusterReaders);
      } else if (isKind(binding, RBAC_GROUP, 'ClusterRoleBinding')) {
        why = bindingReadsSecrets(binding, undefined, ctx, clusterReaders);
      }
      if (!why) continue;
      for (const { index, subject } of subjectsOf(binding)) {
        if (isMeshAdminSubject(subject, ctx)) continue;
        out.push({
          object: binding,
          violation: {
            path: `subjects[${index}]`,
            message: `lets ${subjectLabel(subject)}, which is not a mesh administrator, read Secrets in the `
              + `control-plane namespace "${cp}" (where the mesh CA key lives): ${why}`,
          },
        });
      }
    }
    return out;
  },
};
