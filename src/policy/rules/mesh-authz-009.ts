import { UNCAPTURED_PROXY_PORTS, proxyPortRole } from '../../mesh/proxy-ports';
import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import {
  AUTHORIZATION_POLICY_KIND, JsonMap, SECURITY_GROUP, actionOf, asList, asMap, celHas, celString, celStrings, isAuthorizationPolicy,
  isNonEmptyList, isSet, policyRules, ruleClauses, specOf,
} from './mesh-shared';
import { celIsKind } from './workload-pod-specs';

/**
 * A port string Istio reads as one of the proxy's own ports (`security.ValidatePorts` parses
 * ports as decimal integers, so leading zeros name the same port), built from mesh/proxy-ports.ts.
 */
export const PROXY_PORT_PATTERN = `^0*(${UNCAPTURED_PROXY_PORTS.join('|')})$`;
const PROXY_PORT_RE = new RegExp(PROXY_PORT_PATTERN);

/** Where a rule names a port: the operation's `ports`, or a `when` condition on `destination.port`. */
export type ProxyPortField = 'to.operation.ports' | 'when destination.port';

/** A positive match on a port the proxy serves itself (15020, 15021, 15090) in an AuthorizationPolicy rule. */
export interface ProxyPortMention {
  readonly port: number;
  /** JSON path of the item, e.g. `spec.rules[0].to[1].operation.ports[0]`. */
  readonly path: string;
  readonly field: ProxyPortField;
}

/** The proxy port `value` names (a port string, or a number as a hand-written manifest may have it), if any. */
function proxyPortOf(value: unknown): number | undefined {
  if (typeof value === 'string') return PROXY_PORT_RE.test(value) ? Number(value) : undefined;
  if (typeof value === 'number') return UNCAPTURED_PROXY_PORTS.includes(value) ? value : undefined;
  return undefined;
}

/** The proxy ports of a list field (a scalar where the list belongs is read as one item, at the field's path). */
function mentionsIn(value: unknown, path: string, field: ProxyPortField): ProxyPortMention[] {
  const out: ProxyPortMention[] = [];
  if (!Array.isArray(value)) {
    const port = proxyPortOf(value);
    if (port !== undefined) out.push({ port, path, field });
    return out;
  }
  value.forEach((item, i) => {
    const port = proxyPortOf(item);
    if (port !== undefined) out.push({ port, path: `${path}[${i}]`, field });
  });
  return out;
}

/**
 * Whether the policy attaches with `targetRef`/`targetRefs` (a waypoint, a Gateway API gateway, a
 * Service or ServiceEntry through its waypoint) instead of selecting sidecars and gateway pods.
 */
export function attachesByTargetRef(spec: JsonMap): boolean {
  return isSet(spec.targetRef) || isNonEmptyList(spec.targetRefs);
}

/**
 * Every positive match on a port the proxy serves itself in an AuthorizationPolicy spec: items of
 * `rules[].to[].operation.ports`, and values of `rules[].when[]` conditions on `destination.port`.
 * Negative matches (`notPorts`, `notValues`) only exempt such a port from the policy, which it
 * never reaches anyway; in ALLOW policies MESH-AUTHZ-002 refuses them already.
 */
export function proxyPortMentions(spec: JsonMap): ProxyPortMention[] {
  const out: ProxyPortMention[] = [];
  for (const entry of policyRules(spec)) {
    for (const { clause, path } of ruleClauses(entry, 'to')) out.push(...mentionsIn(clause.ports, `${path}.ports`, 'to.operation.ports'));
    asList(entry.rule.when).forEach((w, k) => {
      const condition = asMap(w);
      if (condition?.key === 'destination.port') out.push(...mentionsIn(condition.values, `${entry.path}.when[${k}].values`, 'when destination.port'));
    });
  }
  return out;
}

/** What port `port` is, for messages: `port 15090 (Envoy's Prometheus stats port (/stats/prometheus))`. */
export function describeProxyPort(port: number): string {
  return `port ${port} (${proxyPortRole(port)})`;
}

/** CEL over `v`: a port item naming a proxy port (strings as Istio reads them; ints as a hand-written manifest may have them). */
function celIsProxyPort(v: string): string {
  return `(type(${v}) == string ? ${v}.matches(${celString(PROXY_PORT_PATTERN)}) : (type(${v}) == int && ${v} in [${UNCAPTURED_PROXY_PORTS.join(', ')}]))`;
}

/** CEL: the AuthorizationPolicy `object` attaches with targetRef(s) (see {@link attachesByTargetRef}). */
export const CEL_ATTACHES_BY_TARGET_REF = '(has(object.spec.targetRef) || (has(object.spec.targetRefs) && size(object.spec.targetRefs) > 0))';

/** CEL: some rule of the AuthorizationPolicy `object` matches a proxy port positively (see {@link proxyPortMentions}). */
export const CEL_NAMES_PROXY_PORT = `(${celHas('object.spec.rules')} && object.spec.rules.exists(r, `
  + `(has(r.to) && r.to.exists(t, has(t.operation) && has(t.operation.ports) && t.operation.ports.exists(p, ${celIsProxyPort('p')}))) || `
  + `(has(r.when) && r.when.exists(w, has(w.key) && w.key == 'destination.port' && has(w.values) && w.values.exists(v, ${celIsProxyPort('v')})))))`;

/** CEL: the object is an Istio AuthorizationPolicy. */
export const CEL_IS_AUTHORIZATION_POLICY = celIsKind(SECURITY_GROUP, ['AuthorizationPolicy']);

/** The actions whose rules decide or delegate access, and so mislead when they name a proxy port. */
const ENFORCING_ACTIONS = ['DENY', 'CUSTOM'];

/**
 * MESH-AUTHZ-009 (AUTHZ-1): DENY and CUSTOM AuthorizationPolicies do not match the
 * ports the proxy serves itself.
 *
 * The sidecar never captures 15020 (pilot-agent's status port: merged Prometheus metrics, the
 * rewritten app probes), 15021 (Envoy's health listener) and 15090 (Envoy's Prometheus stats):
 * the injection template and the Istio CNI plugin always exclude them from inbound redirection,
 * and 15021/15090 are static Envoy listeners without an RBAC filter (see mesh/proxy-ports.ts). The
 * same holds on an ingress gateway's pods, where 15021 is the load balancers' status port. A rule
 * that matches one of them in `to.operation.ports` or a `destination.port` condition is never
 * evaluated there: a DENY on 15090 denies nothing, a CUSTOM on 15020 sends nothing to the external
 * authorizer, and the port stays open to whatever the network lets through. Only a NetworkPolicy
 * decides who reaches these ports (AUTHZ-4).
 *
 * What is allowed after it: DENY and CUSTOM rules on captured ports only; `notPorts` and
 * `notValues` naming a proxy port (they exempt the port from the policy, which is what happens
 * anyway); ALLOW and AUDIT policies, which MESH-AUTHZ-010 reports as warnings (they open and log
 * nothing there, but protect nothing the author counted on).
 *
 * Not checked: policies with `targetRef`/`targetRefs`. They attach to a waypoint or a Gateway API
 * gateway, not to sidecars, and the policy alone does not say which: behind a waypoint (ambient
 * mode) ztunnel's in-pod redirection captures the pod's ports, so the premise does not hold there.
 * A gateway status port moved away from 15021 (IngressGateway `statusPort`) is not known to the
 * rule either.
 */
export const MESH_AUTHZ_009: PolicyRule = {
  id: 'MESH-AUTHZ-009',
  practices: ['AUTHZ-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: `DENY and CUSTOM AuthorizationPolicies do not match the proxy's own ports (${UNCAPTURED_PROXY_PORTS.join(', ')})`,
  explanation:
    'The sidecar never captures the ports the proxy serves itself: 15020 (pilot-agent\'s merged metrics, readiness and rewritten app '
    + 'probes), 15021 (Envoy\'s health check) and 15090 (Envoy\'s Prometheus stats); Istio\'s injection template and CNI plugin exclude '
    + 'them from redirection, and 15021/15090 are Envoy listeners without an RBAC filter, on gateways too. A DENY or CUSTOM rule that '
    + 'matches one of them in operation.ports or a destination.port condition is never evaluated: it looks like it blocks or checks '
    + 'access to the metrics or health endpoints, while they stay open to anyone the network lets through.',
  fix:
    'Remove the proxy port from the rule, and restrict it with a NetworkPolicy instead: MeshBaseline monitoringNamespace (and '
    + 'monitoringPodLabels) opens 15020/15090 to your Prometheus only, and IngressGateway healthCheckSourceRanges opens the gateway\'s '
    + '15021 to the load balancer\'s health checkers only; the default-deny NetworkPolicies the library writes close the rest. A PolicyException '
    + 'is never the answer: the rule protects nothing, whatever is excepted.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const spec = specOf(object);
    const action = actionOf(spec);
    if (typeof action !== 'string' || !ENFORCING_ACTIONS.includes(action) || attachesByTargetRef(spec)) return [];
    const effect = action === 'DENY' ? 'denies nothing' : 'sends nothing to the external authorizer';
    return proxyPortMentions(spec).map((m): RuleViolation => ({
      path: m.path,
      port: m.port,
      message: `${action} rule matches ${describeProxyPort(m.port)} in ${m.field}, which the proxy serves itself outside its authorization `
        + `filters (never captured by the sidecar): it ${effect} there, and only a NetworkPolicy restricts who reaches that port`,
    }));
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!${CEL_IS_AUTHORIZATION_POLICY} || !has(object.spec) || !has(object.spec.action) `
      + `|| !(object.spec.action in ${celStrings(ENFORCING_ACTIONS)}) || ${CEL_ATTACHES_BY_TARGET_REF} || !${CEL_NAMES_PROXY_PORT}`,
    message: `MESH-AUTHZ-009 (AUTHZ-1): a DENY or CUSTOM AuthorizationPolicy must not match ports ${UNCAPTURED_PROXY_PORTS.join(', ')} (operation.ports, `
      + 'destination.port): the sidecar never captures them, so the rule blocks nothing; restrict them with a NetworkPolicy',
  },
};
