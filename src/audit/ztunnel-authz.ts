import { AuthzPolicy } from './authz-evaluator';
import { compareStrings } from './workloads';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * AuthorizationPolicies as ztunnel enforces them for ambient pods (AUTHZ-1..3): istiod converts
 * every selector, namespace-wide and root-namespace (mesh-wide) policy into ztunnel's L4
 * authorization (istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go,
 * `convertAuthorizationPolicy` and `handleRule`):
 *
 * - policies with `targetRef(s)` are not for ztunnel (a waypoint enforces them);
 * - only ALLOW and DENY are converted: istiod reports "ztunnel does not support the CUSTOM
 *   action" (and AUDIT) and sends nothing, so ztunnel enforces no CUSTOM policy;
 * - ztunnel sees connections, not requests. HTTP attributes are `to.operation` hosts, methods,
 *   paths (and their `not` forms), `from.source` remoteIpBlocks and requestPrincipals (and their
 *   `not` forms), and every `when` key but source.ip, source.namespace, source.principal,
 *   destination.ip and destination.port. An ALLOW rule that uses one is omitted (it never
 *   matches; with no other rule the policy allows nothing); a DENY rule keeps only its L4 parts
 *   (so it denies more than asked). Both are "more restrictive than requested", istiod's words:
 *   L7 attributes at ztunnel fail closed.
 * - what ztunnel matches in a source: principals, namespaces, serviceAccounts, ipBlocks (and their
 *   `not` forms); `trustDomains` is not converted and so matches any source. In an operation:
 *   ports and notPorts, where a value that is not a port number is dropped (not the rule).
 */

/** `to.operation` fields ztunnel cannot see (authorization.go `httpOperations`). */
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
/** `from.source` fields ztunnel cannot see (authorization.go `httpSources`). */
const HTTP_SOURCE_FIELDS = ['remoteIpBlocks', 'notRemoteIpBlocks', 'requestPrincipals', 'notRequestPrincipals'];
/** `from.source` fields istiod does not convert for ztunnel at all (they match anything there). */
const UNCONVERTED_SOURCE_FIELDS = ['trustDomains', 'notTrustDomains'];
/** The `when` keys ztunnel evaluates (authorization.go `l4WhenAttributes`). */
export const ZTUNNEL_CONDITION_KEYS: readonly string[] = ['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port'];

function nonEmpty(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

/** The HTTP attributes a rule uses that ztunnel cannot see, sorted. */
export function ztunnelHttpAttributes(rule: unknown): string[] {
  if (!isRecord(rule)) return [];
  const found = new Set<string>();
  for (const t of Array.isArray(rule.to) ? rule.to : []) {
    const op = isRecord(t) && isRecord(t.operation) ? t.operation : {};
    for (const k of HTTP_OPERATION_FIELDS) if (nonEmpty(op[k])) found.add(k);
  }
  for (const f of Array.isArray(rule.from) ? rule.from : []) {
    const source = isRecord(f) && isRecord(f.source) ? f.source : {};
    for (const k of HTTP_SOURCE_FIELDS) if (nonEmpty(source[k])) found.add(k);
  }
  for (const c of Array.isArray(rule.when) ? rule.when : []) {
    if (isRecord(c) && typeof c.key === 'string' && !ZTUNNEL_CONDITION_KEYS.includes(c.key)) found.add(c.key);
  }
  return [...found].sort(compareStrings);
}

function withoutKeys(o: { readonly [key: string]: any }, keys: readonly string[]): { [key: string]: any } {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** Port values ztunnel keeps: numbers 0..65535 (authorization.go `stringToPort` drops the others). */
function portValues(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.filter((x) => /^[0-9]+$/.test(String(x)) && Number(x) <= 65535);
}

/** A rule with only what ztunnel matches: its L4 parts. */
function l4Rule(rule: { readonly [key: string]: any }): { [key: string]: any } {
  const out: { [key: string]: any } = {};
  if (rule.from !== undefined) {
    out.from = Array.isArray(rule.from) ? rule.from.map((f: unknown) => {
      if (!isRecord(f) || !isRecord(f.source)) return f;
      return { ...f, source: withoutKeys(f.source, [...HTTP_SOURCE_FIELDS, ...UNCONVERTED_SOURCE_FIELDS]) };
    }) : rule.from;
  }
  if (rule.to !== undefined) {
    out.to = Array.isArray(rule.to) ? rule.to.map((t: unknown) => {
      if (!isRecord(t) || !isRecord(t.operation)) return t;
      const op = withoutKeys(t.operation, HTTP_OPERATION_FIELDS);
      if (op.ports !== undefined) op.ports = portValues(op.ports);
      if (op.notPorts !== undefined) op.notPorts = portValues(op.notPorts);
      return { ...t, operation: op };
    }) : rule.to;
  }
  if (rule.when !== undefined) {
    // A condition on an HTTP key becomes an empty match in a DENY rule: it matches every connection.
    out.when = Array.isArray(rule.when) ? rule.when.filter((c: unknown) => !isRecord(c) || typeof c.key !== 'string' || ZTUNNEL_CONDITION_KEYS.includes(c.key))
      .map((c: unknown) => (isRecord(c) && c.key === 'destination.port' ? {
        ...c,
        ...(c.values !== undefined ? { values: portValues(c.values) } : {}),
        ...(c.notValues !== undefined ? { notValues: portValues(c.notValues) } : {}),
      } : c))
      : rule.when;
  }
  return out;
}

/** A policy as ztunnel enforces it, or why ztunnel enforces none of it; `http`: the HTTP attributes its rules use. */
export interface ZtunnelPolicy {
  /** The converted policy; undefined when ztunnel does not enforce the policy at all. */
  readonly policy?: AuthzPolicy;
  /** Why ztunnel ignores it (CUSTOM, AUDIT, targetRefs). */
  readonly ignored?: string;
  /** HTTP attributes found in its rules (fail closed at ztunnel). */
  readonly http: string[];
}

/** `policy` (a selector, namespace-wide or mesh-wide AuthorizationPolicy) as ztunnel enforces it. */
export function forZtunnel(policy: AuthzPolicy): ZtunnelPolicy {
  if (policy.targetRefs !== undefined || policy.localOnly) return { ignored: 'it attaches with targetRefs, which ztunnel ignores', http: [] };
  if (policy.action !== 'ALLOW' && policy.action !== 'DENY') {
    return { ignored: `ztunnel does not support the ${policy.action} action (istiod does not send it to ztunnel)`, http: [] };
  }
  const http = new Set<string>();
  const dropped: { [index: number]: string } = {};
  const rules = policy.rules.map((rule, i) => {
    if (!isRecord(rule)) return rule;
    const found = ztunnelHttpAttributes(rule);
    found.forEach((f) => http.add(f));
    if (found.length > 0 && policy.action === 'ALLOW') {
      dropped[i] = `ztunnel cannot match HTTP attributes (${found.join(', ')}), so istiod omits this ALLOW rule for ztunnel: it never matches`;
    }
    return l4Rule(rule);
  });
  return {
    policy: { ...policy, rules, ...(Object.keys(dropped).length > 0 ? { droppedRules: dropped } : {}) },
    http: [...http].sort(compareStrings),
  };
}
