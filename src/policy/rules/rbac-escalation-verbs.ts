import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { RBAC_GROUP, ROLE_KINDS, isRole, policyRulesOf, stringsOf } from './rbac-mesh-admins';
import { celIsKind, celString, celStrings } from './workload-pod-specs';

/** The verbs that let a holder exceed its own permissions. */
export const ESCALATION_VERBS: readonly string[] = ['escalate', 'bind', 'impersonate'];

const USER_EXTRAS = 'userextras';

/**
 * The (API groups, resources) on which `escalate`, `bind` or `impersonate` mean something; a
 * rule with verb `*` on any of them grants those verbs.
 */
const ESCALATION_TARGETS: readonly { readonly group: string; readonly resources: readonly string[]; readonly verbs: string }[] = [
  { group: RBAC_GROUP, resources: ['roles', 'clusterroles'], verbs: 'escalate and bind' },
  { group: '', resources: ['users', 'groups', 'serviceaccounts'], verbs: 'impersonate' },
  { group: 'authentication.k8s.io', resources: ['uids', USER_EXTRAS], verbs: 'impersonate' },
];

function resourceHits(resource: string, targets: readonly string[]): boolean {
  // `userextras/<key>`: impersonating one extra field. Other subresources (serviceaccounts/token)
  // are not impersonation targets.
  return resource === '*' || targets.includes(resource) || (targets.includes(USER_EXTRAS) && resource.startsWith(`${USER_EXTRAS}/`));
}

/** What a `*` verb in this rule implicitly grants (`escalate and bind`, `impersonate`), if anything. */
export function wildcardEscalation(rule: { readonly [key: string]: any }): string[] {
  const groups = stringsOf(rule, 'apiGroups');
  const resources = stringsOf(rule, 'resources');
  return [...new Set(ESCALATION_TARGETS
    .filter((t) => groups.some((g) => g === '*' || g === t.group) && resources.some((r) => resourceHits(r, t.resources)))
    .map((t) => t.verbs))];
}

/**
 * RBAC-ESC-001 (RBAC-1): no Role or ClusterRole rule grants `escalate`, `bind` or `impersonate`,
 * whether named or through the verb `*` on roles, clusterroles, users, groups, serviceaccounts,
 * uids or userextras (a `*` verb elsewhere is RBAC-WILD-001's concern only).
 */
export const RBAC_ESC_001: PolicyRule = {
  id: 'RBAC-ESC-001',
  practices: ['RBAC-1'],
  severity: RuleSeverity.ERROR,
  kinds: ROLE_KINDS,
  title: 'No Role or ClusterRole grants escalate, bind or impersonate',
  explanation:
    'RBAC stops a user from granting permissions they do not hold, except through these verbs: escalate lets them '
    + 'edit a role to add any permission, bind lets them bind any role (cluster-admin included) and impersonate lets '
    + 'them act as another user, group or service account. Each turns a namespace deployer into a cluster or mesh '
    + 'administrator, able to rewrite authentication and authorization policy.',
  fix:
    'Remove escalate, bind and impersonate (and the verb "*" on roles, clusterroles, users, groups, serviceaccounts, '
    + 'uids or userextras). Role bindings for app teams are created by the mesh administrators (or by this library), '
    + 'not by the teams. A PolicyException is right only for a cluster-management controller owned by the platform '
    + 'team, with resourceNames narrowing what it may bind.',
  check(object) {
    if (!isRole(object)) return [];
    const out: RuleViolation[] = [];
    for (const { index, rule } of policyRulesOf(object)) {
      const verbs: unknown = rule.verbs;
      if (!Array.isArray(verbs)) continue;
      verbs.forEach((v, j) => {
        if (typeof v !== 'string') return;
        const path = `rules[${index}].verbs[${j}]`;
        if (ESCALATION_VERBS.includes(v)) {
          out.push({ path, message: `rule ${index} grants "${v}"` });
        } else if (v === '*') {
          const implied = wildcardEscalation(rule);
          if (implied.length > 0) {
            out.push({ path, message: `rule ${index} grants verb "*" on ${stringsOf(rule, 'resources').join(', ')}, which includes ${implied.join(' and ')}` });
          }
        }
      });
    }
    return out;
  },
  admission: {
    resources: [{ apiGroups: [RBAC_GROUP], apiVersions: ['*'], resources: ['roles', 'clusterroles'] }],
    expression: `!${celIsKind(RBAC_GROUP, ['Role', 'ClusterRole'])} || !has(object.rules) || object.rules.all(r, !has(r.verbs) || (`
      + `!r.verbs.exists(v, v in ${celStrings(ESCALATION_VERBS)}) && !(r.verbs.exists(v, v == '*') && has(r.apiGroups) && has(r.resources) && (`
      + ESCALATION_TARGETS.map((t) =>
        `(r.apiGroups.exists(g, g in ${celStrings(['*', t.group])}) && r.resources.exists(x, x in ${celStrings(['*', ...t.resources])}`
        + `${t.resources.includes(USER_EXTRAS) ? ` || x.startsWith(${celString(`${USER_EXTRAS}/`)})` : ''}))`).join(' || ')
      + '))))',
    message: 'RBAC-ESC-001: Role and ClusterRole rules may not grant escalate, bind or impersonate (by name or through verb "*")',
  },
};
