import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import {
  CEL_ATTACHES_BY_TARGET_REF, CEL_IN_AMBIENT_NAMESPACE, attachesByTargetRef, inAmbientNamespace, ztunnelBinding,
} from './ambient-namespaces';
import {
  AUTHORIZATION_POLICY_KIND, JsonMap, SECURITY_GROUP, asList, asMap, celStrings, isAuthorizationPolicy, isNonEmptyList, policyRules,
  ruleClauses, specOf,
} from './mesh-shared';
import { celIsKind } from './workload-pod-specs';

/*
 * What ztunnel can enforce, from istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go
 * (`convertAuthorizationPolicy`, `httpOperations`, `httpSources`, `l4WhenAttributes`):
 * - actions ALLOW and DENY; any other action (CUSTOM, AUDIT) is reported as unsupported and the
 *   policy is not sent to ztunnel at all;
 * - `to.operation`: ports, notPorts; hosts, notHosts, methods, notMethods, paths, notPaths are HTTP;
 * - `from.source`: principals, namespaces, serviceAccounts, ipBlocks (and their not*); requestPrincipals,
 *   notRequestPrincipals, remoteIpBlocks, notRemoteIpBlocks are HTTP;
 * - `when`: source.ip, source.namespace, source.principal, destination.ip, destination.port; any
 *   other key (request.*, remote.ip, connection.sni, experimental.*) is HTTP.
 * An ALLOW rule with an HTTP attribute is dropped (it never matches); a DENY rule is kept without
 * its HTTP attributes (it matches more). istio.io docs/ambient/usage/l4-policy: ztunnel "will
 * simply drop all traffic as a defensive move".
 */

/** `to[].operation` fields ztunnel cannot match (HTTP). */
export const ZTUNNEL_L7_OPERATION_FIELDS: readonly string[] = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
/** `from[].source` fields ztunnel cannot match (HTTP: JWT principals and the X-Forwarded-For client address). */
export const ZTUNNEL_L7_SOURCE_FIELDS: readonly string[] = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
/** The only `when` keys ztunnel evaluates; every other condition key is HTTP to it. */
export const ZTUNNEL_L4_CONDITION_KEYS: readonly string[] = ['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port'];

/** The actions ztunnel enforces. */
const ZTUNNEL_ACTIONS = ['ALLOW', 'DENY'];

/** One HTTP attribute found in a ztunnel-bound policy. */
interface L7Use {
  readonly path: string;
  readonly what: string;
}

/** Every HTTP attribute of the policy's rules, in rule order: operation fields, source fields, conditions. */
export function ztunnelL7Uses(spec: JsonMap): L7Use[] {
  const uses: L7Use[] = [];
  for (const entry of policyRules(spec)) {
    for (const { clause, path } of ruleClauses(entry, 'to')) {
      for (const field of ZTUNNEL_L7_OPERATION_FIELDS) {
        if (isNonEmptyList(clause[field])) uses.push({ path: `${path}.${field}`, what: `operation.${field}` });
      }
    }
    for (const { clause, path } of ruleClauses(entry, 'from')) {
      for (const field of ZTUNNEL_L7_SOURCE_FIELDS) {
        if (isNonEmptyList(clause[field])) uses.push({ path: `${path}.${field}`, what: `source.${field}` });
      }
    }
    asList(entry.rule.when).forEach((w, k) => {
      const condition = asMap(w);
      if (!condition) return;
      const key = condition.key;
      if (typeof key === 'string' && ZTUNNEL_L4_CONDITION_KEYS.includes(key)) return;
      uses.push({ path: `${entry.path}.when[${k}].key`, what: typeof key === 'string' ? `condition "${key}"` : 'a condition without a key' });
    });
  }
  return uses;
}

/** CEL over `v` (a field known to exist): set to something other than an empty list (as {@link isNonEmptyList}). */
function celNonEmpty(v: string): string {
  return `(type(${v}) != list || size(${v}) > 0)`;
}

/** CEL over the policy rule `r`: it uses an HTTP attribute ztunnel cannot match. */
const CEL_RULE_USES_L7 = [
  `(has(r.to) && r.to.exists(t, has(t.operation) && (${ZTUNNEL_L7_OPERATION_FIELDS.map((f) => `(has(t.operation.${f}) && ${celNonEmpty(`t.operation.${f}`)})`).join(' || ')})))`,
  `(has(r.from) && r.from.exists(f, has(f.source) && (${ZTUNNEL_L7_SOURCE_FIELDS.map((s) => `(has(f.source.${s}) && ${celNonEmpty(`f.source.${s}`)})`).join(' || ')})))`,
  `(has(r.when) && r.when.exists(w, !has(w.key) || !(w.key in ${celStrings(ZTUNNEL_L4_CONDITION_KEYS)})))`,
].join(' || ');

/**
 * MESH-AMBIENT-001 (AUTHZ-1, AUTHZ-3): in an ambient namespace, an AuthorizationPolicy that
 * ztunnel enforces uses only what ztunnel can match, and an action it supports.
 *
 * Without `targetRef`/`targetRefs`, a policy of an ambient namespace (with a `selector`, or
 * namespace-wide) is enforced by the destination's ztunnel, which sees TCP connections, not HTTP
 * requests. Istio converts it for ztunnel (pilot's ambient `convertAuthorizationPolicy`):
 * - an ALLOW rule that uses an HTTP attribute (operation hosts/methods/paths and their not*,
 *   source requestPrincipals/remoteIpBlocks and their not*, a `when` key other than
 *   source.ip, source.namespace, source.principal, destination.ip, destination.port) is dropped:
 *   what it was meant to allow is denied, and if it was the only rule, everything is (an outage,
 *   not the intended per-path rule);
 * - a DENY rule is kept without its HTTP attributes: "DENY /admin from X" becomes "DENY
 *   everything from X";
 * - a CUSTOM (or AUDIT) policy is not sent to ztunnel at all: the external authorizer is never
 *   asked, and the requests it should check pass unchecked (fail open).
 * HTTP rules belong on the waypoint: attach the policy with `targetRefs` to the Service (kind
 * Service) or to the waypoint (kind Gateway), as the library does for grants with paths or methods.
 *
 * What is allowed after it: L4 rules at ztunnel (principals, namespaces, serviceAccounts, ipBlocks,
 * ports and their not*, the five L4 condition keys); any rule in a policy with targetRef(s); any
 * policy outside an ambient namespace (sidecars enforce HTTP rules). `source.ipBlocks` is L4
 * (the connection's peer address) and allowed; `remoteIpBlocks` (the X-Forwarded-For client) is not.
 *
 * Not covered: mesh-wide policies of the root namespace (no selector) also bind to every ambient
 * pod, but the root namespace itself is not ambient, so neither check() nor admission (which sees
 * only the policy's own Namespace) knows which namespaces are; AUDIT policies (also dropped by
 * ztunnel: nothing is logged, nothing is weakened); a policy that selects a sidecar pod or an Istio
 * gateway living in an ambient namespace (Envoy enforces it there: declare a PolicyException); a
 * Namespace relabelled ambient after its policies exist (admission sees one object at a time; the
 * audit of the whole set reports it).
 */
export const MESH_AMBIENT_001: PolicyRule = {
  id: 'MESH-AMBIENT-001',
  practices: ['AUTHZ-1', 'AUTHZ-3'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'In ambient namespaces, AuthorizationPolicies without targetRefs use only L4 attributes and ALLOW or DENY (ztunnel cannot enforce L7)',
  explanation:
    'In an ambient namespace an AuthorizationPolicy without targetRef(s), bound by selector or namespace-wide, is enforced by ztunnel, '
    + 'which sees connections, not HTTP requests. Istio drops every ALLOW rule that uses an HTTP attribute (paths, methods, hosts, '
    + 'requestPrincipals, remoteIpBlocks, their not* forms, or a when key other than source.ip/namespace/principal and '
    + 'destination.ip/port), so the callers it was written for are denied (an outage, not the intended rule); it keeps DENY rules '
    + 'without their HTTP attributes, so they deny more than intended; and it never sends a CUSTOM policy to ztunnel, so the external '
    + 'authorizer is not consulted and the requests pass unchecked.',
  fix:
    'Attach HTTP rules to the waypoint: give the policy targetRefs to the Service (group "", kind Service) or to the namespace\'s waypoint '
    + '(group gateway.networking.k8s.io, kind Gateway) and label the Service istio.io/use-waypoint, as SecureService.allowFrom does for '
    + 'grants with paths or methods; keep at ztunnel only L4 rules (principals, namespaces, ports, ipBlocks), e.g. "only the waypoint may '
    + 'reach the pods". When the policy selects sidecar pods or an Istio gateway that live in the ambient namespace, declare a '
    + 'PolicyException for it.',
  check(object, context) {
    if (!isAuthorizationPolicy(object) || !inAmbientNamespace(object, context)) return [];
    const spec = specOf(object);
    if (attachesByTargetRef(spec)) return [];
    const where = `in ambient namespace ${object.metadata?.namespace}, ${ztunnelBinding(spec)}, so ztunnel enforces it`;
    const action = spec.action ?? 'ALLOW';
    if (action === 'CUSTOM') {
      return [{
        path: 'spec.action',
        message: `CUSTOM policy ${where}: ztunnel does not support CUSTOM and ignores the policy, so the external authorizer is never asked `
          + '(attach it to the waypoint with targetRefs)',
      }];
    }
    if (typeof action !== 'string' || !ZTUNNEL_ACTIONS.includes(action)) return [];
    const outcome = action === 'ALLOW'
      ? 'ztunnel drops the rule, so what it allows is denied'
      : 'ztunnel enforces the rule without it, so it denies more than intended';
    return ztunnelL7Uses(spec).map((use): RuleViolation => ({
      path: use.path,
      message: `${action} policy ${where}: ${use.what} is HTTP (L7), which ztunnel cannot match; ${outcome} (attach the policy to the waypoint with targetRefs)`,
    }));
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: [
      `!${celIsKind(SECURITY_GROUP, ['AuthorizationPolicy'])}`,
      `!(${CEL_IN_AMBIENT_NAMESPACE})`,
      CEL_ATTACHES_BY_TARGET_REF,
      '!has(object.spec)',
      '(has(object.spec.action) && object.spec.action == \'CUSTOM\' ? false : '
      + `((has(object.spec.action) && !(object.spec.action in ${celStrings(ZTUNNEL_ACTIONS)})) || !has(object.spec.rules) || !object.spec.rules.exists(r, ${CEL_RULE_USES_L7})))`,
    ].join(' || '),
    message: 'MESH-AMBIENT-001 (AUTHZ-1, AUTHZ-3): in an ambient namespace an AuthorizationPolicy without targetRefs is enforced by ztunnel, which '
      + 'cannot match HTTP attributes (paths, methods, hosts, requestPrincipals, remoteIpBlocks, request.* conditions) or run CUSTOM: '
      + 'attach it to the waypoint with targetRefs',
  },
};
