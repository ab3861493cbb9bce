import { RuleContext, RuleObject, isKind } from '../rule';
import { Labels, selectorMatches } from './network-label-selector';
import { RBAC_GROUP, SA_GROUP_PREFIX, SA_USER_PREFIX, policyRulesOf } from './rbac-mesh-admins';
import { isRecord } from './workload-pod-specs';

/**
 * What an RBAC rule grants, read the way the RBAC authorizer reads it, and which role a binding
 * grants, for the rules about sensitive access, Secrets and policy writers (RBAC-1, NS-1, CA-1):
 * RBAC-SENS-001, RBAC-SECRET-001, RBAC-POLICY-001 and RBAC-BUILTIN-001.
 *
 * Matching, as in Kubernetes' `rbac/v1` helpers: an API group entry covers its group or every
 * group (`*`, and `""` is the core group); a resource entry covers its resource, every resource
 * and subresource (`*`), or one subresource of every resource (`*\/exec`); a verb entry covers
 * its verb or every verb (`*`). Rules are cross products: every listed group with every listed
 * resource. `pods/*` is not expanded by the authorizer (it grants nothing), but it is read as
 * covering every subresource of pods: it says what its author wanted, and another authorizer or
 * a later fix should not turn it into a grant nobody reviewed. A field written as a lone string
 * (`verbs: "*"`) is rejected by the API server; it is read as a one-entry list, so it is
 * reported for what it asks for instead of passing unnoticed.
 */

/** The verbs that change objects. */
export const WRITE_VERBS: readonly string[] = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];

/** One entry of a list field of an RBAC rule and its path under the rule (`verbs[2]`, or `verbs` for a lone string). */
export interface FieldEntry {
  readonly value: string;
  readonly path: string;
}

/** The string entries of `field` of an RBAC rule; a lone string counts as one entry. */
export function entriesOf(rule: { readonly [key: string]: any }, field: string): FieldEntry[] {
  const v: unknown = rule[field];
  if (typeof v === 'string') return [{ value: v, path: field }];
  if (!Array.isArray(v)) return [];
  return v.flatMap((x, j) => (typeof x === 'string' ? [{ value: x, path: `${field}[${j}]` }] : []));
}

/** The string values of `field` of an RBAC rule; a lone string counts as one value. */
export function valuesOf(rule: { readonly [key: string]: any }, field: string): string[] {
  return entriesOf(rule, field).map((e) => e.value);
}

/** Whether an `apiGroups` entry covers `group` (`""` is the core group). */
export function groupCovers(entry: string, group: string): boolean {
  return entry === '*' || entry === group;
}

/**
 * Whether a `resources` entry covers `resource` (`pods`, `pods/exec`): the same name, `*`,
 * `*\/<subresource>`, or `<resource>/*` (read as intent, see above).
 */
export function resourceCovers(entry: string, resource: string): boolean {
  if (entry === '*' || entry === resource) return true;
  const slash = resource.indexOf('/');
  if (slash < 0) return false;
  return entry === `*${resource.slice(slash)}` || entry === `${resource.slice(0, slash)}/*`;
}

/** The `resources` entries that cover `resource` (see {@link resourceCovers}). */
export function resourceEntriesCovering(resource: string): string[] {
  const slash = resource.indexOf('/');
  return slash < 0 ? ['*', resource] : ['*', resource, `*${resource.slice(slash)}`, `${resource.slice(0, slash)}/*`];
}

// ---------------------------------------------------------------------------------------------
// Policy kinds (RBAC-1: deployers cannot change authentication, authorization or routing)

/**
 * API groups all of whose kinds are mesh policy: authentication and authorization
 * (`security.istio.io`), routing, Sidecars and EnvoyFilters (`networking.istio.io`), and
 * WasmPlugins / TrafficExtensions (`extensions.istio.io`), which run code in every sidecar they
 * select, ahead of the authorization filters.
 */
export const POLICY_API_GROUPS: readonly string[] = ['security.istio.io', 'networking.istio.io', 'extensions.istio.io'];

/** Policy kinds in other API groups: Kubernetes NetworkPolicies, the L3/L4 half of access control. */
export const POLICY_RESOURCES: readonly { readonly group: string; readonly resource: string }[] = [
  { group: 'networking.k8s.io', resource: 'networkpolicies' },
];

/**
 * The resources of {@link POLICY_API_GROUPS} served by the pinned Istio 1.30 CRDs: with
 * `apiGroups: ["*"]`, these names (and `*`) reach policy kinds.
 */
export const POLICY_GROUP_RESOURCES: readonly string[] = [
  'authorizationpolicies', 'peerauthentications', 'requestauthentications',
  'destinationrules', 'envoyfilters', 'gateways', 'proxyconfigs', 'serviceentries', 'sidecars',
  'virtualservices', 'workloadentries', 'workloadgroups',
  'trafficextensions', 'wasmplugins',
];

/**
 * Whether the group entry `g` with the resource entry `x` reaches a policy kind: any kind (not
 * a subresource such as `status`, which does not change the policy) of a policy group,
 * NetworkPolicies, or one of their names (or `*`) in every group.
 */
export function reachesPolicyKind(g: string, x: string): boolean {
  if (POLICY_API_GROUPS.includes(g)) return x === '*' || !x.includes('/');
  if (g === '*') return x === '*' || POLICY_GROUP_RESOURCES.includes(x) || POLICY_RESOURCES.some((p) => p.resource === x);
  return POLICY_RESOURCES.some((p) => p.group === g && (x === '*' || x === p.resource));
}

/** Where one RBAC rule grants something, by `resources` entry: the path under the rule and what it grants. */
export interface Grant {
  readonly path: string;
  readonly what: string;
}

/** `g1, g2` with the core group written `""`. */
function groupsLabel(groups: readonly string[]): string {
  return groups.map((g) => (g === '' ? '""' : g)).join(', ');
}

/** The write verbs on policy kinds one RBAC rule grants, per `resources` entry. */
export function policyWriteGrants(rule: { readonly [key: string]: any }): Grant[] {
  const verbs = valuesOf(rule, 'verbs').filter((v) => WRITE_VERBS.includes(v));
  if (verbs.length === 0) return [];
  const groups = valuesOf(rule, 'apiGroups');
  const out: Grant[] = [];
  for (const x of entriesOf(rule, 'resources')) {
    const hit = groups.filter((g) => reachesPolicyKind(g, x.value));
    if (hit.length > 0) out.push({ path: x.path, what: `${verbs.join(', ')} on ${groupsLabel(hit)} "${x.value}"` });
  }
  return out;
}

/** Every Secret access (any verb) one RBAC rule grants, per `resources` entry: `secrets` or `*` in the core group or `*`. */
export function secretGrants(rule: { readonly [key: string]: any }): Grant[] {
  const verbs = valuesOf(rule, 'verbs');
  if (verbs.length === 0 || !valuesOf(rule, 'apiGroups').some((g) => groupCovers(g, ''))) return [];
  return entriesOf(rule, 'resources')
    .filter((x) => x.value === '*' || x.value === 'secrets')
    .map((x) => ({ path: x.path, what: `${verbs.join(', ')} on Secrets${x.value === '*' ? ' (through resources "*")' : ''}` }));
}

// ---------------------------------------------------------------------------------------------
// Who is a mesh administrator, strictly

export { SA_GROUP_PREFIX, SA_USER_PREFIX, isConfiguredAdminSubject } from './rbac-mesh-admins';

/**
 * The namespace of a service-account subject (a ServiceAccount, the user
 * `system:serviceaccount:<ns>:<name>` or the group `system:serviceaccounts:<ns>`); `null` for a
 * ServiceAccount without a namespace; undefined for users and groups that are not service accounts.
 */
export function serviceAccountNamespace(subject: unknown): string | null | undefined {
  if (!isRecord(subject)) return undefined;
  const name: unknown = subject.name;
  if (subject.kind === 'ServiceAccount') return typeof subject.namespace === 'string' ? subject.namespace : null;
  if (typeof name !== 'string') return undefined;
  if (subject.kind === 'User' && name.startsWith(SA_USER_PREFIX)) return name.split(':')[2];
  if (subject.kind === 'Group' && name.startsWith(SA_GROUP_PREFIX)) return name.slice(SA_GROUP_PREFIX.length);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Which rules a binding grants

/** Built-in ClusterRoles that grant Secrets, pods/exec and write on (nearly) every namespaced kind. */
export const BUILT_IN_POWER_ROLES: readonly string[] = ['cluster-admin', 'admin', 'edit'];

/** The labels the built-in aggregated ClusterRoles select (with the value `"true"`). */
export const BUILT_IN_AGGREGATION_LABELS: { readonly [role: string]: string } = {
  admin: `${RBAC_GROUP}/aggregate-to-admin`,
  edit: `${RBAC_GROUP}/aggregate-to-edit`,
  view: `${RBAC_GROUP}/aggregate-to-view`,
};

/** One rule a binding grants, and where it comes from (`ClusterRole "x"`, `Role "ns/x"`). */
export interface SourcedRule {
  readonly source: string;
  readonly index: number;
  readonly rule: { readonly [key: string]: any };
}

/** What a binding refers to. */
export type BindingRole =
  /** One of {@link BUILT_IN_POWER_ROLES} (RBAC-BUILTIN-001's business). */
  | { readonly kind: 'built-in'; readonly name: string }
  /** A role among the objects, or the built-in `view`, with every rule it grants (aggregation followed). */
  | { readonly kind: 'known'; readonly label: string; readonly rules: readonly SourcedRule[] }
  /** A role neither among the objects nor built in: it cannot be judged. */
  | { readonly kind: 'unknown' };

/** The string-valued labels of an object. */
export function labelsOf(o: RuleObject): Labels {
  const labels: unknown = o.metadata?.labels;
  if (!isRecord(labels)) return {};
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => typeof v === 'string')) as Labels;
}

function clusterRoles(ctx: RuleContext): RuleObject[] {
  return ctx.objects.filter((o) => isKind(o, RBAC_GROUP, 'ClusterRole') && typeof o.metadata?.name === 'string');
}

function sourced(role: RuleObject): SourcedRule[] {
  const label = isKind(role, RBAC_GROUP, 'Role') ? `Role "${role.metadata?.namespace}/${role.metadata?.name}"` : `ClusterRole "${role.metadata?.name}"`;
  return policyRulesOf(role).map(({ index, rule }) => ({ source: label, index, rule }));
}

/**
 * The rules of the ClusterRoles among `roles` that `selectors` select, and of those they
 * aggregate in turn (each role once).
 */
function aggregated(selectors: unknown, roles: readonly RuleObject[], seen: Set<RuleObject>): SourcedRule[] {
  if (!Array.isArray(selectors)) return [];
  const out: SourcedRule[] = [];
  for (const other of roles) {
    if (seen.has(other) || !selectors.some((sel) => selectorMatches(sel, labelsOf(other)))) continue;
    seen.add(other);
    out.push(...sourced(other), ...aggregated(aggregationSelectors(other), roles, seen));
  }
  return out;
}

function aggregationSelectors(role: RuleObject): unknown {
  const agg: unknown = role.aggregationRule;
  return isRecord(agg) ? agg.clusterRoleSelectors : undefined;
}

/**
 * The role a RoleBinding or ClusterRoleBinding refers to: a Role in the binding's namespace (both
 * without one: kustomize style, placed together at apply time), a
 * ClusterRole among the objects (its own rules and those of the ClusterRoles its
 * `aggregationRule` selects, transitively), the built-in `view` (its rules are read-only and
 * Secret-free; the ClusterRoles among the objects labelled `aggregate-to-view` add theirs), or a
 * built-in power role (`cluster-admin`, `admin`, `edit`; a ClusterRole of that name among the
 * objects does not change which role the cluster binds).
 */
export function bindingRole(binding: RuleObject, ctx: RuleContext): BindingRole {
  const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
  const name: unknown = ref.name;
  if (typeof name !== 'string') return { kind: 'unknown' };
  if (ref.kind === 'Role') {
    // A binding without a namespace (kustomize, `kubectl apply -n`) lands where a Role without one does.
    const ns: unknown = binding.metadata?.namespace;
    if (!isKind(binding, RBAC_GROUP, 'RoleBinding') || (ns !== undefined && typeof ns !== 'string')) return { kind: 'unknown' };
    const role = ctx.objects.find((o) => isKind(o, RBAC_GROUP, 'Role') && o.metadata?.namespace === ns && o.metadata?.name === name);
    return role ? { kind: 'known', label: ns === undefined ? `Role "${name}"` : `Role "${ns}/${name}"`, rules: sourced(role) } : { kind: 'unknown' };
  }
  if (ref.kind !== 'ClusterRole') return { kind: 'unknown' };
  if (BUILT_IN_POWER_ROLES.includes(name)) return { kind: 'built-in', name };
  const roles = clusterRoles(ctx);
  const role = roles.find((r) => r.metadata?.name === name);
  if (role) {
    return { kind: 'known', label: `ClusterRole "${name}"`, rules: [...sourced(role), ...aggregated(aggregationSelectors(role), roles, new Set([role]))] };
  }
  if (name === 'view') {
    const selector = { matchLabels: { [BUILT_IN_AGGREGATION_LABELS.view]: 'true' } };
    return { kind: 'known', label: 'the built-in ClusterRole "view"', rules: aggregated([selector], roles, new Set()) };
  }
  return { kind: 'unknown' };
}

/** Whether the object is an RBAC RoleBinding or ClusterRoleBinding. */
export function isBinding(o: RuleObject): boolean {
  return isKind(o, RBAC_GROUP, 'RoleBinding') || isKind(o, RBAC_GROUP, 'ClusterRoleBinding');
}

/** `ClusterRoleBinding "x"` / `RoleBinding "ns/x"`, for messages. */
export function bindingLabel(binding: RuleObject): string {
  const ns = binding.metadata?.namespace;
  return `${binding.kind} "${isKind(binding, RBAC_GROUP, 'RoleBinding') && ns ? `${ns}/` : ''}${binding.metadata?.name ?? '<no name>'}"`;
}
