import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { AUTHORIZATION_POLICY_KIND, SECURITY_GROUP, actionOf, celEach, celEachPolicyRule, celEmpty, isAuthorizationPolicy, isNonEmptyList, policyRules, ruleClauses, specOf } from './mesh-shared';

const POSITIVE_REQUEST_FIELDS = ['paths', 'hosts'] as const;

/**
 * MESH-AUTHZ-003 (AUTHZ-3): DENY policies match request paths and hosts negatively (Istio's "DENY
 * with negative matching" safer pattern).
 *
 * `DENY paths: [/admin]` denies exactly the spellings listed; `/admin/`, `/Admin`, `/admin;x` or
 * `Host: svc:80` may still reach the backend, which may treat them as the same resource. Deny
 * everything except the allowed set (`notPaths`/`notHosts`) or allow the positive set instead.
 */
export const MESH_AUTHZ_003: PolicyRule = {
  id: 'MESH-AUTHZ-003',
  practices: ['AUTHZ-3'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'DENY AuthorizationPolicy rules do not match positive paths or hosts',
  explanation:
    'A DENY rule with positive `paths` or `hosts` blocks only the exact spellings listed. Path and host variants (trailing '
    + 'slash, case, path parameters, a port in the Host header, an alternative host name) do not match and are let through, '
    + 'while the backend may serve them as the denied resource.',
  fix:
    'Write the DENY with `notPaths`/`notHosts` (deny everything except the known-good set), or drop the DENY and allow the '
    + 'positive set with an ALLOW rule (default deny covers the rest). A PolicyException is rarely right: only when the '
    + 'backend is known to serve nothing but the exact spelling.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const spec = specOf(object);
    if (actionOf(spec) !== 'DENY') return [];
    const violations: RuleViolation[] = [];
    for (const entry of policyRules(spec)) {
      for (const { clause, path } of ruleClauses(entry, 'to')) {
        for (const field of POSITIVE_REQUEST_FIELDS.filter((f) => isNonEmptyList(clause[f]))) {
          const not = `not${field.charAt(0).toUpperCase()}${field.slice(1)}`;
          violations.push({
            path: `${path}.${field}`,
            message: `DENY rule matches operation.${field} positively, so other spellings of the same ${field === 'paths' ? 'path' : 'host'} bypass it; use operation.${not} or an ALLOW rule`,
          });
        }
      }
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!(has(object.spec) && has(object.spec.action) && object.spec.action == 'DENY') || ${celEachPolicyRule(
      celEach('r.to', 't', `!has(t.operation) || (${POSITIVE_REQUEST_FIELDS.map((f) => celEmpty(`t.operation.${f}`)).join(' && ')})`),
    )}`,
    message: 'MESH-AUTHZ-003 (AUTHZ-3): DENY AuthorizationPolicy rules must not match positive paths or hosts (bypassable by variants); use notPaths/notHosts or an ALLOW rule',
  },
};
