import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { AUTHORIZATION_POLICY_KIND, CEL_IS_ALLOW, SECURITY_GROUP, actionOf, asList, asMap, celEachPolicyRule, celNonEmpty, isAuthorizationPolicy, isNonEmptyList, policyRules, specOf } from './mesh-shared';

/** Source fields that name an authenticated identity (mTLS peer or JWT request principal). */
const IDENTITY_FIELDS = ['principals', 'requestPrincipals', 'serviceAccounts'] as const;
/** Source fields that match only where a request comes from, not who sent it. */
const LOCATION_FIELDS = ['namespaces', 'ipBlocks', 'remoteIpBlocks'] as const;

/**
 * MESH-AUTHZ-004 (AUTHZ-2): every rule of an ALLOW AuthorizationPolicy names the authenticated
 * caller: at least one `from`, and each `from.source` sets `principals`, `requestPrincipals` or
 * `serviceAccounts`.
 *
 * A rule without `from` allows any caller; a source with only `namespaces` or IP blocks allows any
 * workload that runs there (or spoofs the address). DENY, CUSTOM and AUDIT policies are out of
 * scope: they do not grant access.
 */
export const MESH_AUTHZ_004: PolicyRule = {
  id: 'MESH-AUTHZ-004',
  practices: ['AUTHZ-2'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'Every ALLOW AuthorizationPolicy rule requires an authenticated identity (principals, requestPrincipals or serviceAccounts)',
  explanation:
    'An ALLOW rule without `from` allows every caller, authenticated or not. A source that matches only on namespaces or IP '
    + 'blocks trusts the location of the caller, not its identity: any workload in that namespace, or any client behind that '
    + 'address, is allowed. Authorization should rest on the mTLS peer principal or the JWT request principal.',
  fix:
    'Add `from: [{ source: { principals: ["cluster.local/ns/<ns>/sa/<sa>"] } }]` (or `requestPrincipals: ["<issuer>/<subject>"]`, '
    + 'or `serviceAccounts`) to each ALLOW rule; keep namespaces/ipBlocks only next to an identity. A public endpoint (e.g. '
    + 'health checks on an ingress gateway) that must accept anonymous callers needs a PolicyException with a justification.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const spec = specOf(object);
    if (actionOf(spec) !== 'ALLOW') return [];
    const violations: RuleViolation[] = [];
    for (const { rule, path } of policyRules(spec)) {
      const from = asList(rule.from);
      if (from.length === 0) {
        violations.push({ path, message: 'ALLOW rule has no `from`, so it allows every caller, authenticated or not; require a principal, requestPrincipal or serviceAccount' });
        continue;
      }
      from.forEach((item, j) => {
        const source = asMap(asMap(item)?.source);
        if (source && IDENTITY_FIELDS.some((f) => isNonEmptyList(source[f]))) return;
        const location = source ? LOCATION_FIELDS.filter((f) => isNonEmptyList(source[f])) : [];
        violations.push({
          path: source ? `${path}.from[${j}].source` : `${path}.from[${j}]`,
          message: location.length > 0
            ? `ALLOW rule source matches only on ${location.join(' and ')}, not on an identity: any workload there is allowed; add principals, requestPrincipals or serviceAccounts`
            : 'ALLOW rule source names no identity (principals, requestPrincipals or serviceAccounts), so it allows any caller',
        });
      });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: `!${CEL_IS_ALLOW} || ${celEachPolicyRule(
      `${celNonEmpty('r.from')} && r.from.all(f, has(f.source) && (${IDENTITY_FIELDS.map((x) => celNonEmpty(`f.source.${x}`)).join(' || ')}))`,
    )}`,
    message: 'MESH-AUTHZ-004 (AUTHZ-2): every ALLOW AuthorizationPolicy rule needs `from` sources that each name principals, requestPrincipals or serviceAccounts (not namespaces or ipBlocks alone)',
  },
};
