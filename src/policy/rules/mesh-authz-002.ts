import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { AUTHORIZATION_POLICY_KIND, CEL_IS_ALLOW, SECURITY_GROUP, actionOf, asList, asMap, celEach, celEachPolicyRule, celEmpty, isAuthorizationPolicy, isNonEmptyList, policyRules, ruleClauses, specOf } from './mesh-shared';

/** Negative source fields: in an ALLOW rule they allow everyone except the listed values. */
export const NEGATIVE_SOURCE_FIELDS = [
  'notPrincipals', 'notRequestPrincipals', 'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks', 'notServiceAccounts',
] as const;
/** Negative operation fields: in an ALLOW rule they allow every path, method, port or host except the listed ones. */
export const NEGATIVE_OPERATION_FIELDS = ['notPaths', 'notMethods', 'notPorts', 'notHosts'] as const;

/** The positive field of a `notX` field: `notPaths` → `paths`. */
function positiveOf(field: string): string {
  return `${field.charAt(3).toLowerCase()}${field.slice(4)}`;
}

/**
 * MESH-AUTHZ-002 (AUTHZ-3): ALLOW policies use positive matches only (Istio's "ALLOW with
 * positive matching" safer pattern).
 *
 * A negative match in an ALLOW rule allows every value but the listed ones, including the ones
 * nobody thought of: `/admin/` or `/ADMIN` next to a `notPaths: [/admin]`, a new namespace next to
 * `notNamespaces`. The set of allowed requests should be an explicit list instead.
 */
export const MESH_AUTHZ_002: PolicyRule = {
  id: 'MESH-AUTHZ-002',
  practices: ['AUTHZ-3'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'ALLOW AuthorizationPolicy rules use positive matches only (no not* fields, no when.notValues)',
  explanation:
    'In an ALLOW rule a negative match (notPrincipals, notNamespaces, notIpBlocks, notPaths, notMethods, notPorts, notHosts, '
    + 'when.notValues, ...) allows everything except the listed values, so every variant the author did not list is allowed: '
    + 'path and host spellings, new namespaces, new identities. Istio recommends ALLOW with positive matching and DENY with '
    + 'negative matching.',
  fix:
    'List what is allowed with the positive field (principals, paths, methods, ports, hosts, when.values) instead; to carve '
    + 'something out of an allow, add a DENY policy with the positive form. A PolicyException is not the answer here: any '
    + 'negative ALLOW can be rewritten positively.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const spec = specOf(object);
    if (actionOf(spec) !== 'ALLOW') return [];
    const violations: RuleViolation[] = [];
    for (const entry of policyRules(spec)) {
      for (const { clause, path } of ruleClauses(entry, 'from')) {
        for (const field of NEGATIVE_SOURCE_FIELDS.filter((f) => isNonEmptyList(clause[f]))) {
          violations.push({ path: `${path}.${field}`, message: `ALLOW rule uses source.${field}, which allows every other source; list the allowed ones with source.${positiveOf(field)}` });
        }
      }
      for (const { clause, path } of ruleClauses(entry, 'to')) {
        for (const field of NEGATIVE_OPERATION_FIELDS.filter((f) => isNonEmptyList(clause[f]))) {
          violations.push({ path: `${path}.${field}`, message: `ALLOW rule uses operation.${field}, which allows every other value; list the allowed ones with operation.${positiveOf(field)}` });
        }
      }
      asList(entry.rule.when).forEach((w, k) => {
        const condition = asMap(w);
        if (condition && isNonEmptyList(condition.notValues)) {
          const key = typeof condition.key === 'string' ? ` on ${condition.key}` : '';
          violations.push({ path: `${entry.path}.when[${k}].notValues`, message: `ALLOW rule has a condition${key} with notValues, which allows every other value; use values` });
        }
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!${CEL_IS_ALLOW} || ${celEachPolicyRule([
      celEach('r.from', 'f', `!has(f.source) || (${NEGATIVE_SOURCE_FIELDS.map((x) => celEmpty(`f.source.${x}`)).join(' && ')})`),
      celEach('r.to', 't', `!has(t.operation) || (${NEGATIVE_OPERATION_FIELDS.map((x) => celEmpty(`t.operation.${x}`)).join(' && ')})`),
      celEach('r.when', 'w', celEmpty('w.notValues')),
    ].join(' && '))}`,
    message: 'MESH-AUTHZ-002 (AUTHZ-3): ALLOW AuthorizationPolicy rules must use positive matches only (no notPrincipals, notNamespaces, notIpBlocks, notPaths, notMethods, notPorts, notHosts, ... and no when.notValues); carve exceptions out with a DENY policy',
  },
};
