import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { Grant, WRITE_VERBS, bindingRole, entriesOf, isConfiguredAdminSubject, valuesOf } from './rbac-grants';
import { RBAC_GROUP, adminNamespaces, subjectLabel, subjectsOf } from './rbac-mesh-admins';

/** The API group of admission control. */
export const ADMISSION_API_GROUP = 'admissionregistration.k8s.io';

/**
 * The resources of {@link ADMISSION_API_GROUP} that Kubernetes exempts from admission: the
 * kinds upstream `IsExemptAdmissionConfigurationResource` (k8s.io/apiserver
 * `pkg/admission/plugin/webhook/predicates/rules/rules.go`) lists, ValidatingWebhookConfiguration,
 * MutatingWebhookConfiguration, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
 * MutatingAdmissionPolicy and MutatingAdmissionPolicyBinding. All are cluster-scoped.
 */
export const ADMISSION_EXEMPT_RESOURCES: readonly string[] = [
  'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings', 'mutatingwebhookconfigurations',
  'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations',
];

/**
 * Whether the group entry `g` with the resource entry `x` reaches an admission configuration
 * kind: `*` or one of {@link ADMISSION_EXEMPT_RESOURCES}, in `admissionregistration.k8s.io` or
 * `*`. Subresources (`validatingadmissionpolicies/status`, `*\/status`) do not change what is
 * enforced and do not count.
 */
export function reachesAdmissionKind(g: string, x: string): boolean {
  if (g !== ADMISSION_API_GROUP && g !== '*') return false;
  return x === '*' || ADMISSION_EXEMPT_RESOURCES.includes(x);
}

/**
 * The write verbs on admission configuration kinds one RBAC rule grants, per `resources` entry
 * (the sibling of `policyWriteGrants`). `resourceNames` do not narrow it: see RBAC-ADMISSION-001.
 */
export function admissionWriteGrants(rule: { readonly [key: string]: any }): Grant[] {
  const verbs = valuesOf(rule, 'verbs').filter((v) => WRITE_VERBS.includes(v));
  if (verbs.length === 0) return [];
  const groups = valuesOf(rule, 'apiGroups');
  const out: Grant[] = [];
  for (const x of entriesOf(rule, 'resources')) {
    const hit = groups.filter((g) => reachesAdmissionKind(g, x.value));
    if (hit.length > 0) out.push({ path: x.path, what: `${verbs.join(', ')} on ${hit.join(', ')} "${x.value}"` });
  }
  return out;
}

/**
 * RBAC-ADMISSION-001 (RBAC-1, OPS-1): only mesh administrators are bound to roles that can
 * change admission control.
 *
 * Why: Kubernetes does not run admission on its own admission configuration. Upstream
 * `IsExemptAdmissionConfigurationResource` (k8s.io/apiserver,
 * `pkg/admission/plugin/webhook/predicates/rules`) exempts every kind of
 * `admissionregistration.k8s.io` that configures admission: ValidatingWebhookConfigurations,
 * MutatingWebhookConfigurations, ValidatingAdmissionPolicies, ValidatingAdmissionPolicyBindings,
 * MutatingAdmissionPolicies and MutatingAdmissionPolicyBindings. So the library's
 * AdmissionGuardrails cannot protect themselves: whoever can write these objects can set a
 * policy's expression to `true`, move a binding to `Audit` or out of the mesh's namespaces,
 * delete them, or register a webhook that admits (or mutates, or reads) anything. Only RBAC
 * keeps these writes to the people who own the guardrails.
 *
 * What is reported: for every ClusterRoleBinding whose role grants `create`, `update`, `patch`,
 * `delete`, `deletecollection` or `*` on one of those resources, or on `*`, in API group
 * `admissionregistration.k8s.io` or `*` (a ClusterRole among the objects with what its
 * `aggregationRule` selects, transitively, or the built-in `view` with the ClusterRoles
 * labelled `aggregate-to-view`), each subject that is not a mesh administrator, on the binding at
 * `subjects[i]`. Mesh administrators are only a Group in `meshAdminGroups` and the service
 * accounts of `kube-system` and the control-plane namespace (also written
 * `system:serviceaccount:<ns>:<name>` or `system:serviceaccounts:<ns>`). Operator groups do NOT
 * count, unlike RBAC-POLICY-001: security admins and auditors own mesh policy (which the
 * guardrails check), not the cluster's admission control (which checks them); a security admin
 * who could rewrite the guardrails would check itself. `resourceNames` do not make a grant
 * pass: a named webhook configuration can be pointed at any endpoint and any object, and a named
 * policy can be made to admit everything (MeshRoleSets' `mesh-admin` updates Istio's own
 * webhooks by name, and is bound to mesh administrators only). `escalate` and `bind` mean
 * nothing on these kinds; reads (`get`, `list`, `watch`) and subresources (`status`) change
 * nothing enforced.
 *
 * RoleBindings are not reported: these kinds are all cluster-scoped, and a RoleBinding grants
 * its role (a Role, or a ClusterRole, even one granting `*` on `*`) only inside its namespace, so
 * it never reaches them (wildcards in such roles are RBAC-WILD-001's).
 *
 * Not here: the built-in `cluster-admin`, `admin` and `edit` (RBAC-BUILTIN-001 reports every
 * binding of them to anyone but mesh administrators, with the same definition, so they are not
 * reported twice); roles neither among the objects nor built in (cannot be judged); who can bind
 * or escalate to such a role (RBAC-ESC-001). Nor the exception registries, the ConfigMaps
 * `secure-mesh-exceptions`: a grant of write verbs on core `configmaps` (with `resourceNames`
 * naming the registry or not) is not this rule's business, since ConfigMaps are not exempt from
 * admission and the guardrails' own admission policy lets only mesh administrators and the
 * configured `registryWriters` change the registries, by identity.
 *
 * No `admission` form: the check needs the role and the binding together (cross-object), and
 * the objects it protects are out of admission's reach anyway.
 */
export const RBAC_ADMISSION_001: PolicyRule = {
  id: 'RBAC-ADMISSION-001',
  practices: ['RBAC-1', 'OPS-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'Only mesh administrators are bound to roles that can change admission control',
  explanation:
    'Kubernetes exempts ValidatingAdmissionPolicies, their bindings, MutatingAdmissionPolicies and webhook '
    + 'configurations from admission, so the admission guardrails cannot protect themselves: whoever can write '
    + 'admissionregistration.k8s.io objects can set a policy\'s expression to true, move its binding to Audit, delete it, '
    + 'or register a webhook of their own, and every rule enforced at admission (OPS-1) is gone, together with the '
    + 'separation between app teams and policy owners (RBAC-1).',
  fix:
    'Bind roles that write admissionregistration.k8s.io objects (or "*") cluster-wide only to the mesh admin groups and to '
    + 'service accounts of kube-system or the control-plane namespace; give everyone else read access (MeshRoleSets '
    + 'mesh-auditor) at most. Install and change the guardrails through the GitOps identity of the platform team. If the '
    + 'subject really administers the mesh, add its group to meshAdminGroups (MeshRoleSets meshAdmins, secure-mesh.yaml). '
    + 'A PolicyException is right only for a cluster-management controller owned by the platform team that installs '
    + 'admission configuration itself (e.g. cert-manager\'s cainjector patching webhook CA bundles), with resourceNames.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const admins = ctx.meshAdminGroups;
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const binding of ctx.objects) {
      // A RoleBinding never reaches cluster-scoped kinds, whatever its role grants.
      if (!isKind(binding, RBAC_GROUP, 'ClusterRoleBinding')) continue;
      const role = bindingRole(binding, ctx);
      if (role.kind !== 'known') continue;
      const grant = role.rules.flatMap((r) => admissionWriteGrants(r.rule).map((g) => `${r.source} rule ${r.index} grants ${g.what}`))[0];
      if (!grant) continue;
      for (const { index, subject } of subjectsOf(binding)) {
        if (isConfiguredAdminSubject(subject, admins, ctx)) continue;
        out.push({
          object: binding,
          violation: {
            path: `subjects[${index}]`,
            message: `lets ${subjectLabel(subject)}, which is not a mesh administrator, change admission control, which Kubernetes `
              + `does not check by admission: ${grant} (admin groups: ${admins.length > 0 ? admins.join(', ') : 'none configured'}; `
              + `admin service accounts: ${adminNamespaces(ctx).join(', ')})`,
          },
        });
      }
    }
    return out;
  },
};
