import { RuleContext, RuleObject, isKind, kindKey } from '../rule';
import { isRecord } from './workload-pod-specs';

/**
 * Who counts as a mesh administrator for the RBAC rules (NS-1, RBAC-1, CA-1), and how RBAC
 * rules are read. Shared by RBAC-CRB-001 and RBAC-CA-001 so both draw the line in one place.
 */

/** The RBAC API group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The namespaces whose service accounts are cluster or mesh infrastructure. */
export function adminNamespaces(ctx: RuleContext): string[] {
  return [...new Set(['kube-system', ctx.controlPlaneNamespace])];
}

/**
 * Whether an RBAC subject is one of `groups` (the configured admin groups) or a service account
 * of `kube-system` or the control-plane namespace (as a ServiceAccount, the user
 * `system:serviceaccount:<ns>:<name>` or the group `system:serviceaccounts:<ns>`). Other
 * `system:` users and groups (`system:masters`, `system:nodes`, made-up `system:foo` groups) do
 * not count, because an app's output has no business binding Kubernetes components, and a name
 * that starts with `system:` proves nothing.
 */
export function isConfiguredAdminSubject(subject: unknown, groups: readonly string[], ctx: RuleContext): boolean {
  if (!isRecord(subject) || typeof subject.name !== 'string') return false;
  const name: string = subject.name;
  const admins = adminNamespaces(ctx);
  switch (subject.kind) {
    case 'ServiceAccount':
      return typeof subject.namespace === 'string' && admins.includes(subject.namespace);
    case 'Group':
      return groups.includes(name) || (name.startsWith(SA_GROUP_PREFIX) && admins.includes(name.slice(SA_GROUP_PREFIX.length)));
    case 'User':
      return name.startsWith(SA_USER_PREFIX) && admins.includes(name.split(':')[2]);
    default:
      return false;
  }
}

/** The prefix of the group of all service accounts of one namespace. */
export const SA_GROUP_PREFIX = 'system:serviceaccounts:';
/** The prefix of a service account's user name. */
export const SA_USER_PREFIX = 'system:serviceaccount:';

/**
 * Whether an RBAC subject is a mesh administrator: one of the configured admin groups, or a
 * service account of `kube-system` or the control-plane namespace (`isConfiguredAdminSubject`).
 * Other `system:` users and groups (`system:masters`, `system:nodes`, `system:kube-controller-manager`)
 * do not count: their bindings are the API server's, and an app's output has no business
 * writing them; a name that starts with `system:` proves nothing.
 */
export function isMeshAdminSubject(subject: unknown, ctx: RuleContext): boolean {
  return isConfiguredAdminSubject(subject, ctx.meshAdminGroups, ctx);
}

/** `Group "x"`, `User "x"`, `ServiceAccount ns/name`, for messages. */
export function subjectLabel(subject: unknown): string {
  if (!isRecord(subject)) return 'a malformed subject';
  if (subject.kind === 'ServiceAccount') return `ServiceAccount ${subject.namespace ?? '<no namespace>'}/${subject.name}`;
  return `${subject.kind ?? '<no kind>'} "${subject.name}"`;
}

/** The subjects of a RoleBinding or ClusterRoleBinding, with their indexes (non-arrays give none). */
export function subjectsOf(binding: RuleObject): { readonly index: number; readonly subject: unknown }[] {
  const subjects: unknown = binding.subjects;
  return Array.isArray(subjects) ? subjects.map((subject, index) => ({ index, subject })) : [];
}

/** The rules of a Role or ClusterRole that are objects, with their indexes. */
export function policyRulesOf(role: RuleObject): { readonly index: number; readonly rule: { readonly [key: string]: any } }[] {
  const rules: unknown = role.rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule, index) => (isRecord(rule) ? [{ index, rule }] : []));
}

/** The string entries of a list field of an RBAC rule (`verbs`, `resources`, `apiGroups`, ...). */
export function stringsOf(rule: { readonly [key: string]: any }, field: string): string[] {
  const v: unknown = rule[field];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Kind keys of RBAC Role and ClusterRole (for rules' `kinds`). */
export const ROLE_KINDS: readonly string[] = [kindKey(RBAC_GROUP, 'Role'), kindKey(RBAC_GROUP, 'ClusterRole')];

/** Whether the object is an RBAC Role or ClusterRole. */
export function isRole(o: RuleObject): boolean {
  return isKind(o, RBAC_GROUP, 'Role') || isKind(o, RBAC_GROUP, 'ClusterRole');
}

/** The verbs that read a Secret's data. */
export const SECRET_READ_VERBS: readonly string[] = ['get', 'list', 'watch', '*'];

/** Whether an RBAC policy rule lets its holder read Secrets (core group `secrets` or `*`). */
export function grantsSecretRead(rule: { readonly [key: string]: any }): boolean {
  return stringsOf(rule, 'verbs').some((v) => SECRET_READ_VERBS.includes(v))
    && stringsOf(rule, 'apiGroups').some((g) => g === '' || g === '*')
    && stringsOf(rule, 'resources').some((r) => r === 'secrets' || r === '*');
}
