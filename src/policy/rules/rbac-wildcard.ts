import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { RBAC_GROUP, ROLE_KINDS, isRole, policyRulesOf } from './rbac-mesh-admins';
import { celIsKind } from './workload-pod-specs';

/** The rule fields in which a wildcard grants more than anyone reviewed. */
export const WILDCARD_FIELDS: readonly string[] = ['verbs', 'resources', 'apiGroups'];

/**
 * RBAC-WILD-001 (RBAC-1): no Role or ClusterRole rule with `*` in verbs, resources or apiGroups.
 *
 * Any entry containing `*` counts: `*` itself, and `*\/scale`-style resources, which match that
 * subresource of every resource.
 */
export const RBAC_WILD_001: PolicyRule = {
  id: 'RBAC-WILD-001',
  practices: ['RBAC-1'],
  severity: RuleSeverity.ERROR,
  kinds: ROLE_KINDS,
  title: 'No wildcard verbs, resources or API groups in Roles and ClusterRoles',
  explanation:
    'A wildcard grants everything that exists now and everything added later (new CRDs such as Istio policies, new '
    + 'verbs such as escalate, bind and impersonate), so a role meant for deploying apps can end up rewriting '
    + 'AuthorizationPolicies, reading CA secrets or granting itself more. Least privilege needs an explicit list.',
  fix:
    'List the verbs, API groups and resources the role needs (e.g. verbs [get, list, watch], apiGroups [apps], '
    + 'resources [deployments]). Only cluster bootstrap roles such as cluster-admin need wildcards; they belong to '
    + 'the mesh administrators and are not emitted by the app. A PolicyException is right only for a vendor operator '
    + 'whose documented role requires it.',
  check(object) {
    if (!isRole(object)) return [];
    const out: RuleViolation[] = [];
    for (const { index, rule } of policyRulesOf(object)) {
      for (const field of WILDCARD_FIELDS) {
        const values: unknown = rule[field];
        if (!Array.isArray(values)) continue;
        values.forEach((v, j) => {
          if (typeof v === 'string' && v.includes('*')) {
            out.push({ path: `rules[${index}].${field}[${j}]`, message: `rule ${index} has the wildcard "${v}" in ${field}` });
          }
        });
      }
    }
    return out;
  },
  admission: {
    resources: [{ apiGroups: [RBAC_GROUP], apiVersions: ['*'], resources: ['roles', 'clusterroles'] }],
    expression: `!${celIsKind(RBAC_GROUP, ['Role', 'ClusterRole'])} || !has(object.rules) || object.rules.all(r, `
      + WILDCARD_FIELDS.map((f) => `(!has(r.${f}) || r.${f}.all(v, !v.contains('*')))`).join(' && ') + ')',
    message: 'RBAC-WILD-001: Role and ClusterRole rules may not use "*" in verbs, resources or apiGroups',
  },
};
