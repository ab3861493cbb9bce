import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind, objectRef } from '../rule';
import { GatewayPods, gatewayPods, policyScope } from './mesh-gateway-scope';
import {
  SECURITY_GROUP, actionOf, asList, asMap, asString, isAuthorizationPolicy, jwtRulesOf, policyRules, ruleClauses, specOf, stringItems,
} from './mesh-shared';

/** The `when` keys whose values name a request principal (`<issuer>/<subject>`) or an issuer. */
const PRINCIPAL_KEY = 'request.auth.principal';
const ISSUER_CLAIM_KEY = 'request.auth.claims[iss]';

/** The external issuers: accepted by RequestAuthentications at an edge gateway, with where. */
export function externalIssuers(context: RuleContext, pods: readonly GatewayPods[]): Map<string, RuleObject[]> {
  const issuers = new Map<string, RuleObject[]>();
  for (const object of context.objects) {
    if (!isKind(object, SECURITY_GROUP, 'RequestAuthentication')) continue;
    if (policyScope(object, pods, context).edgeGateways.length === 0) continue;
    for (const { rule } of jwtRulesOf(object)) {
      const issuer = asString(rule.issuer);
      if (issuer === undefined || issuer === '') continue;
      issuers.set(issuer, [...(issuers.get(issuer) ?? []), object]);
    }
  }
  return issuers;
}

/**
 * Whether an Istio string match (`*`, `prefix*`, `*suffix` or exact) over `<issuer>/<subject>`
 * names the external `issuer`: exact or prefix values inside `issuer/`, or prefixes of it. A bare
 * `*` or a `*suffix` names no issuer (what it admits is what the workload's own
 * RequestAuthentication accepts, checked separately).
 */
export function principalNamesIssuer(value: string, issuer: string): boolean {
  const principalPrefix = `${issuer}/`;
  if (value.startsWith('*')) return false;
  if (value.endsWith('*')) {
    const prefix = value.slice(0, -1);
    return prefix !== '' && (principalPrefix.startsWith(prefix) || prefix.startsWith(principalPrefix));
  }
  return value.startsWith(principalPrefix);
}

/** Whether an Istio string match over the `iss` claim admits `issuer` (a bare `*` names none). */
export function issuerValueNames(value: string, issuer: string): boolean {
  if (value.startsWith('*')) return value !== '*' && issuer.endsWith(value.slice(1));
  if (value.endsWith('*')) return value !== '*' && issuer.startsWith(value.slice(0, -1));
  return value === issuer;
}

/**
 * MESH-TOKEN-001 (TOKEN-1, JWT-1): an in-mesh service never accepts an external issuer.
 *
 * The external issuers are the ones the edge accepts: the issuers of every RequestAuthentication
 * that applies to an edge gateway (`mesh-gateway-scope.ts`). A RequestAuthentication that applies
 * to anything else (a selector that matches no edge gateway, no selector in a namespace without one,
 * no selector in the mesh root namespace, which covers every workload, or a targetRef to a Service)
 * must not accept one of them (`spec.jwtRules[i].issuer`), and an ALLOW AuthorizationPolicy on such
 * workloads must not name one in `requestPrincipals` (`<issuer>/...`, or a prefix pattern that
 * covers it) or in `when` conditions on `request.auth.principal` or `request.auth.claims[iss]`.
 *
 * What stays allowed: services accepting internal issuers (the token exchange's, IngressGateway
 * `tokenExchange.internalIssuer`, SecureService `requireJwt`), `requestPrincipals: ["*"]` (any
 * principal the workload's own RequestAuthentication accepted), DENY policies naming an external
 * issuer, and any issuer at the edge gateway itself.
 *
 * No admission form: which issuers are external is known only from the edge gateway's
 * RequestAuthentications and the Gateway objects, not from the object under review.
 */
export const MESH_TOKEN_001: PolicyRule = {
  id: 'MESH-TOKEN-001',
  practices: ['TOKEN-1', 'JWT-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'In-mesh services never accept an issuer the edge gateway accepts (external tokens stay at the edge)',
  explanation:
    'The issuers the edge gateway accepts are external: their tokens are long-lived and held by clients outside the mesh. A '
    + 'mesh service that accepts one (RequestAuthentication jwtRules, or ALLOW rules on its request principals) can be called '
    + 'with a stolen or replayed external token, directly from inside the mesh or through any path that forwards it, and the '
    + 'token exchange at the edge no longer limits what that token can reach or for how long.',
  fix:
    'Exchange the external token at the edge (IngressGateway tokenExchange) and have services require only the internal issuer '
    + '(requireJwt with the exchange\'s issuer); keep the external issuers on the gateway\'s RequestAuthentication and '
    + 'AuthorizationPolicy. There is no exception for accepting an external issuer inside the mesh.',
  check() {
    return [];
  },
  checkAll(context) {
    const pods = gatewayPods(context);
    const external = externalIssuers(context, pods);
    if (external.size === 0) return [];
    const edgeOf = (issuer: string) => [...new Set(external.get(issuer)!.map(objectRef))].join(', ');
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    const report = (object: RuleObject, path: string, message: string) => out.push({ object, violation: { path, message } });
    for (const object of context.objects) {
      const isRequestAuthn = isKind(object, SECURITY_GROUP, 'RequestAuthentication');
      if (!isRequestAuthn && !(isAuthorizationPolicy(object) && actionOf(specOf(object)) === 'ALLOW')) continue;
      const scope = policyScope(object, pods, context);
      if (!scope.inMesh) continue;
      const where = `it applies to in-mesh workloads (${scope.how})`;
      if (isRequestAuthn) {
        for (const { rule, index } of jwtRulesOf(object)) {
          const issuer = asString(rule.issuer);
          if (issuer === undefined || !external.has(issuer)) continue;
          report(object, `spec.jwtRules[${index}].issuer`,
            `accepts the external issuer "${issuer}" (accepted at the edge by ${edgeOf(issuer)}) and ${where}`);
        }
        continue;
      }
      for (const entry of policyRules(specOf(object))) {
        for (const { clause, path } of ruleClauses(entry, 'from')) {
          for (const { value, index } of stringItems(clause.requestPrincipals)) {
            const issuer = [...external.keys()].find((i) => principalNamesIssuer(value, i));
            if (issuer === undefined) continue;
            report(object, `${path}.requestPrincipals[${index}]`,
              `allows request principal "${value}" of the external issuer "${issuer}" (accepted at the edge by ${edgeOf(issuer)}) and ${where}`);
          }
        }
        asList(entry.rule.when).forEach((w, j) => {
          const condition = asMap(w);
          const key = condition?.key;
          if (key !== PRINCIPAL_KEY && key !== ISSUER_CLAIM_KEY) return;
          for (const { value, index } of stringItems(condition!.values)) {
            const issuer = [...external.keys()].find((i) => (key === PRINCIPAL_KEY ? principalNamesIssuer(value, i) : issuerValueNames(value, i)));
            if (issuer === undefined) continue;
            report(object, `${entry.path}.when[${j}].values[${index}]`,
              `allows ${key} "${value}" of the external issuer "${issuer}" (accepted at the edge by ${edgeOf(issuer)}) and ${where}`);
          }
        });
      }
    }
    return out;
  },
};
