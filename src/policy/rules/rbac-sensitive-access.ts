import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import {
  BUILT_IN_AGGREGATION_LABELS, POLICY_API_GROUPS, POLICY_GROUP_RESOURCES, POLICY_RESOURCES, WRITE_VERBS,
  entriesOf, groupCovers, labelsOf, policyWriteGrants, resourceCovers, resourceEntriesCovering, secretGrants, valuesOf,
} from './rbac-grants';
import { RBAC_GROUP, ROLE_KINDS, isRole, policyRulesOf } from './rbac-mesh-admins';
import { celIsKind, celString, celStrings } from './workload-pod-specs';

/** A (group, resource) whose access is sensitive with some verbs, and why. */
export interface SensitiveTarget {
  readonly group: string;
  readonly resource: string;
  /** The verbs that are sensitive (`*` always is); undefined: every verb. */
  readonly verbs?: readonly string[];
  readonly risk: string;
}

const ENDPOINT_WRITES = WRITE_VERBS.filter((v) => v !== '*');

/**
 * What no Role or ClusterRole may grant. The connect-style subresources (exec, attach,
 * portforward) are authorized as `create`, and as `get` for WebSocket clients on clusters before
 * Kubernetes 1.35 (kubernetes/kubernetes#134577), so both count.
 */
export const SENSITIVE_TARGETS: readonly SensitiveTarget[] = [
  { group: '', resource: 'pods/exec', verbs: ['create', 'get'], risk: 'runs commands in pods: a shell past the mesh\'s authentication and authorization, with the pod\'s identity and secrets' },
  { group: '', resource: 'pods/attach', verbs: ['create', 'get'], risk: 'attaches to the processes of running containers' },
  { group: '', resource: 'pods/portforward', verbs: ['create', 'get'], risk: 'tunnels into pods on localhost, past the sidecar\'s mTLS and authorization' },
  { group: '', resource: 'pods/ephemeralcontainers', verbs: ['update', 'patch'], risk: 'adds debug containers to running pods (kubectl debug): a shell with the pod\'s identity and secrets' },
  { group: '', resource: 'serviceaccounts/token', verbs: ['create'], risk: 'mints tokens for service accounts, and so acts as their workloads' },
  { group: '', resource: 'nodes/proxy', risk: 'reaches the kubelet API of every node (any verb: exec into and read every pod there)' },
  { group: '', resource: 'endpoints', verbs: ENDPOINT_WRITES, risk: 'redirects a Service\'s traffic to addresses of one\'s choosing' },
  { group: 'discovery.k8s.io', resource: 'endpointslices', verbs: ENDPOINT_WRITES, risk: 'redirects a Service\'s traffic to addresses of one\'s choosing' },
];

/** What one `resources` entry of a rule grants of the sensitive targets, as `verbs on resource (risk)`. */
function sensitiveHits(rule: { readonly [key: string]: any }, resourceEntry: string): string[] {
  const groups = valuesOf(rule, 'apiGroups');
  const verbs = valuesOf(rule, 'verbs');
  const out: string[] = [];
  for (const t of SENSITIVE_TARGETS) {
    if (!groups.some((g) => groupCovers(g, t.group)) || !resourceCovers(resourceEntry, t.resource)) continue;
    const hit = t.verbs ? verbs.filter((v) => v === '*' || t.verbs!.includes(v)) : verbs;
    if (hit.length > 0) out.push(`${hit.join(', ')} on ${t.group ? `${t.group} ` : ''}${t.resource} (${t.risk})`);
  }
  return out;
}

const AGGREGATE_TO = 'aggregate-to-';

/** The aggregation labels of a ClusterRole: label keys `[prefix/]aggregate-to-*` (`rbac.authorization.k8s.io/` ones with value "true"). */
export function aggregationLabels(role: RuleObject): string[] {
  if (!isKind(role, RBAC_GROUP, 'ClusterRole')) return [];
  return Object.entries(labelsOf(role))
    .filter(([k, v]) => isAggregationKey(k) && (!k.startsWith(`${RBAC_GROUP}/`) || v === 'true'))
    .map(([k]) => k);
}

function isAggregationKey(key: string): boolean {
  return key.startsWith(AGGREGATE_TO) || key.includes(`/${AGGREGATE_TO}`);
}

/** Who gains a ClusterRole's rules through an aggregation label, for messages. */
function gainedBy(label: string): string {
  const builtIn = Object.entries(BUILT_IN_AGGREGATION_LABELS).find(([, l]) => l === label);
  if (builtIn) return `every holder of the built-in ClusterRole "${builtIn[0]}"`;
  return `every holder of a ClusterRole that aggregates "${label}"`;
}

/**
 * RBAC-SENS-001 (RBAC-1, CA-1): no Role or ClusterRole grants a shell, a tunnel, a token or a
 * traffic redirect; and no ClusterRole slips policy writes or Secrets into other roles through
 * an aggregation label.
 *
 * A rule is a violation, per `resources` entry, when it grants:
 * - `create`, `get` or `*` on `pods/exec`, `pods/attach`, `pods/portforward`;
 * - `update`, `patch` or `*` on `pods/ephemeralcontainers` (kubectl debug);
 * - `create` or `*` on `serviceaccounts/token`;
 * - any verb on `nodes/proxy`;
 * - `create`, `update`, `patch`, `delete`, `deletecollection` or `*` on core `endpoints` or
 *   `discovery.k8s.io` `endpointslices` (CVE-2021-25740: Kubernetes took these writes out of the
 *   built-in `edit` and `admin`);
 * in the right API group (`""` core, or `*`), with the resource named, `*`, `*\/exec`-style, or
 * `pods/*` (see rbac-grants.ts; a lone string `verbs: "*"` counts as `["*"]`). `pods/log`,
 * reading pods and endpoints, and `get` on `serviceaccounts/token` stay allowed.
 *
 * A ClusterRole carrying an aggregation label (`rbac.authorization.k8s.io/aggregate-to-admin`,
 * `-edit`, `-view` with value "true", or any other `<prefix>/aggregate-to-*` label) adds its rules
 * to every holder of the roles that aggregate it, silently: it is also a violation when a rule
 * grants a write verb on a policy kind (any kind of `security.istio.io`, `networking.istio.io`,
 * `extensions.istio.io`, NetworkPolicies, or those names in group `*`) or any verb on Secrets (so
 * `aggregate-to-view` never adds Secrets to viewers).
 *
 * Not here: Secrets granted by an unlabelled role depend on who holds it and where (RBAC-SECRET-001,
 * over the bindings); `escalate`, `bind`, `impersonate` (RBAC-ESC-001); wildcards as such
 * (RBAC-WILD-001); `pods/proxy` and `services/proxy` (the API server connects without mesh mTLS,
 * which a STRICT sidecar refuses; the team roles never grant them). A control-plane component
 * that needs one of these grants (token requests, a debugging tool's exec) needs a PolicyException.
 */
export const RBAC_SENS_001: PolicyRule = {
  id: 'RBAC-SENS-001',
  practices: ['RBAC-1', 'CA-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: ROLE_KINDS,
  title: 'No role grants exec, attach, port-forward, debug containers, tokens, nodes/proxy or endpoint writes, nor aggregates policy writes or Secrets',
  explanation:
    'exec, attach, debug containers and nodes/proxy give a shell inside workloads, with their service account tokens, '
    + 'mounted Secrets and mesh identity; port-forward reaches a pod on localhost, past its sidecar\'s mTLS and '
    + 'authorization; serviceaccounts/token mints a token for any service account the role reaches; writing Endpoints '
    + 'or EndpointSlices sends a Service\'s traffic wherever one wants. An aggregation label adds a ClusterRole\'s rules '
    + 'to every holder of admin, edit or view without any binding changing, so policy writes or Secrets slipped in '
    + 'that way reach every app team at once.',
  fix:
    'Remove the rule (or the verbs): debug through logs, metrics and traces; let controllers own Endpoints; let the kubelet '
    + 'request tokens (projected volumes). Drop aggregation labels from ClusterRoles that grant policy writes or Secrets, '
    + 'and bind them explicitly to the few who need them. A PolicyException is right for a control-plane '
    + 'component\'s own role that needs one of these grants (e.g. token requests), and for a break-glass debugging role bound '
    + 'to mesh admins.',
  check(object) {
    if (!isRole(object)) return [];
    const labels = aggregationLabels(object);
    const via = labels.length === 0 ? ''
      : `; the label${labels.length > 1 ? 's' : ''} ${labels.map((l) => `"${l}"`).join(', ')} add${labels.length > 1 ? '' : 's'} it to ${labels.map(gainedBy).join(' and ')}`;
    const out: RuleViolation[] = [];
    for (const { index, rule } of policyRulesOf(object)) {
      // Through an aggregation label, policy writes and Secrets reach every holder of the aggregating roles.
      const aggregated = labels.length === 0 ? []
        : [...policyWriteGrants(rule).map((g) => ({ ...g, what: `${g.what} (writes mesh policy)` })), ...secretGrants(rule)];
      for (const x of entriesOf(rule, 'resources')) {
        const reasons = [...sensitiveHits(rule, x.value), ...aggregated.filter((g) => g.path === x.path).map((g) => g.what)];
        if (reasons.length > 0) out.push({ path: `rules[${index}].${x.path}`, message: `rule ${index} grants ${reasons.join('; ')}${via}` });
      }
    }
    return out;
  },
  admission: {
    resources: [{ apiGroups: [RBAC_GROUP], apiVersions: ['*'], resources: ['roles', 'clusterroles'] }],
    expression: `!${celIsKind(RBAC_GROUP, ['Role', 'ClusterRole'])} || !has(object.rules) || object.rules.all(r, `
      + '!has(r.apiGroups) || !has(r.resources) || !has(r.verbs) || !('
      + SENSITIVE_TARGETS.map(celTarget).join(' || ')
      + ` || (${celAggregated()} && (${celPolicyWrite()} || ${celSecrets()}))))`,
    message: 'RBAC-SENS-001: Roles and ClusterRoles may not grant pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers, '
      + 'serviceaccounts/token, nodes/proxy or Endpoints/EndpointSlices writes, and a ClusterRole with an aggregation label may not '
      + 'grant policy writes or Secrets',
  },
};

function celTarget(t: SensitiveTarget): string {
  const verbs = t.verbs ? `r.verbs.exists(v, v in ${celStrings(['*', ...t.verbs])})` : 'r.verbs.size() > 0';
  return `(r.apiGroups.exists(g, g in ${celStrings(['*', t.group])}) && r.resources.exists(x, x in ${celStrings(resourceEntriesCovering(t.resource))}) && ${verbs})`;
}

function celAggregated(): string {
  const labels = 'object.metadata.labels';
  return `(object.kind == 'ClusterRole' && has(object.metadata) && has(${labels}) && ${labels}.exists(k, `
    + `(k.startsWith(${celString(AGGREGATE_TO)}) || k.contains(${celString(`/${AGGREGATE_TO}`)})) `
    + `&& (!k.startsWith(${celString(`${RBAC_GROUP}/`)}) || ${labels}[k] == 'true')))`;
}

function celPolicyWrite(): string {
  const pair = [
    `(g in ${celStrings(POLICY_API_GROUPS)} && (x == '*' || !x.contains('/')))`,
    `(g == '*' && x in ${celStrings(['*', ...POLICY_GROUP_RESOURCES, ...POLICY_RESOURCES.map((p) => p.resource)])})`,
    ...POLICY_RESOURCES.map((p) => `(g == ${celString(p.group)} && x in ${celStrings(['*', p.resource])})`),
  ].join(' || ');
  return `(r.verbs.exists(v, v in ${celStrings(WRITE_VERBS)}) && r.apiGroups.exists(g, r.resources.exists(x, ${pair})))`;
}

function celSecrets(): string {
  return "(r.verbs.size() > 0 && r.apiGroups.exists(g, g in ['', '*']) && r.resources.exists(x, x in ['*', 'secrets']))";
}
