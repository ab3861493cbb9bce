import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { AUTHORIZATION_POLICY_KIND, CEL_IS_ALLOW, SECURITY_GROUP, actionOf, asList, asMap, celEach, celEachPolicyRule, celString, isAuthorizationPolicy, policyRules, ruleClauses, specOf, stringItems } from './mesh-shared';

/** Identity fields where no value may contain `*` (prefix, suffix or presence match). */
const NO_WILDCARD_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'serviceAccounts'] as const;
/** Condition keys that carry the same identities as {@link NO_WILDCARD_FIELDS}, and the condition lists checked. */
const NO_WILDCARD_CONDITIONS: readonly (readonly [string, 'values' | 'notValues'])[] = [
  ['source.principal', 'values'],
  ['source.principal', 'notValues'],
  ['source.namespace', 'values'],
];

/**
 * MESH-AUTHZ-005 (AUTHZ-2): no wildcard identities in AuthorizationPolicy sources.
 *
 * `principals: ["*"]` means "any authenticated peer", `cluster.local/ns/prod/*` any workload of a
 * namespace, `*` in namespaces any namespace: the rule then no longer says who may call.
 * `requestPrincipals: ["<issuer>/*"]` (any subject of one issuer) is allowed; a leading `*` (any
 * issuer) is not. The same identities in `when` conditions (`source.principal`,
 * `source.namespace`, `request.auth.principal`) are checked the same way.
 *
 * ALLOW policies only: in a DENY (or CUSTOM, AUDIT) policy a wildcard widens what is denied
 * (checked, logged), never what is allowed. `notPrincipals: ["*"]` in a DENY policy is Istio's
 * documented "deny requests without a peer identity" pattern, and `notRequestPrincipals: ["*"]`
 * its "require a JWT" pattern.
 */
export const MESH_AUTHZ_005: PolicyRule = {
  id: 'MESH-AUTHZ-005',
  practices: ['AUTHZ-2'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'AuthorizationPolicy sources name identities without wildcards',
  explanation:
    'A `*` in principals, notPrincipals, namespaces or serviceAccounts matches every identity of a pattern (any authenticated '
    + 'peer, any workload of a namespace, any namespace), so the rule stops saying who may call and quietly grows with every new '
    + 'workload. A requestPrincipal that starts with `*` accepts a token from any issuer the workload trusts.',
  fix:
    'List the exact SPIFFE principals (`cluster.local/ns/<ns>/sa/<sa>`), service accounts and namespaces; for JWTs use '
    + '`<issuer>/<subject>` or `<issuer>/*`. To deny callers without an identity, MESH-MTLS-001/002 (STRICT mTLS) already do it. '
    + 'A PolicyException is right only for a deliberately namespace-wide grant, with its justification.',
  check(object) {
    if (!isAuthorizationPolicy(object) || actionOf(specOf(object)) !== 'ALLOW') return [];
    const violations: RuleViolation[] = [];
    for (const entry of policyRules(specOf(object))) {
      for (const { clause, path } of ruleClauses(entry, 'from')) {
        for (const field of NO_WILDCARD_FIELDS) {
          for (const { value, index } of stringItems(clause[field])) {
            if (value.includes('*')) {
              violations.push({ path: `${path}.${field}[${index}]`, message: `source.${field} value ${JSON.stringify(value)} is a wildcard: it matches identities nobody listed; name each identity` });
            }
          }
        }
        for (const { value, index } of stringItems(clause.requestPrincipals)) {
          if (value.startsWith('*')) {
            violations.push({ path: `${path}.requestPrincipals[${index}]`, message: `source.requestPrincipals value ${JSON.stringify(value)} accepts tokens from any issuer; use "<issuer>/<subject>" or "<issuer>/*"` });
          }
        }
      }
      asList(entry.rule.when).forEach((w, k) => {
        const condition = asMap(w);
        if (!condition) return;
        for (const [key, list] of NO_WILDCARD_CONDITIONS) {
          if (condition.key !== key) continue;
          for (const { value, index } of stringItems(condition[list])) {
            if (value.includes('*')) {
              violations.push({ path: `${entry.path}.when[${k}].${list}[${index}]`, message: `condition on ${key} uses the wildcard ${JSON.stringify(value)}; name each identity` });
            }
          }
        }
        if (condition.key === 'request.auth.principal') {
          for (const { value, index } of stringItems(condition.values)) {
            if (value.startsWith('*')) {
              violations.push({ path: `${entry.path}.when[${k}].values[${index}]`, message: `condition on request.auth.principal value ${JSON.stringify(value)} accepts tokens from any issuer` });
            }
          }
        }
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!${CEL_IS_ALLOW} || ` + celEachPolicyRule([
      celEach('r.from', 'f', `!has(f.source) || (${[
        ...NO_WILDCARD_FIELDS.map((x) => celEach(`f.source.${x}`, 'v', "!v.contains('*')")),
        celEach('f.source.requestPrincipals', 'v', "!v.startsWith('*')"),
      ].join(' && ')})`),
      celEach('r.when', 'w', `!has(w.key) || (${[
        ...NO_WILDCARD_CONDITIONS.map(([key, list]) => `(w.key != ${celString(key)} || ${celEach(`w.${list}`, 'v', "!v.contains('*')")})`),
        `(w.key != 'request.auth.principal' || ${celEach('w.values', 'v', "!v.startsWith('*')")})`,
      ].join(' && ')})`),
    ].join(' && ')),
    message: 'MESH-AUTHZ-005 (AUTHZ-2): ALLOW AuthorizationPolicy identities (principals, notPrincipals, namespaces, serviceAccounts, and source.principal/source.namespace conditions) must not contain "*"; requestPrincipals must not start with "*"',
  },
};
