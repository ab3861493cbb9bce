import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { AUTHORIZATION_POLICY_KIND, SECURITY_GROUP, celEach, celEachPolicyRule, celString, isAuthorizationPolicy, policyRules, ruleClauses, specOf, stringItems } from './mesh-shared';

const PATH_FIELDS = ['paths', 'notPaths'] as const;

/** Substrings that path normalization (or the backend) resolves, with why they are refused. */
const FORBIDDEN: readonly (readonly [string, string])[] = [
  ['//', 'merged into "/" by path normalization'],
  ['%', 'percent-encoding (e.g. %2F, %2E) is decoded by normalization or the backend'],
  ['\\', 'backslashes are turned into "/" by normalization or the backend'],
  [';', 'path parameters (e.g. "..;") are resolved by some backends'],
  ['?', 'Istio matches the path without the query'],
  ['#', 'Istio matches the path without the fragment'],
];

/** Why `path` is not in normalized form; empty when it is. `*` prefix/suffix/presence forms are fine. */
/** A "." or ".." path segment. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

export function pathProblems(path: string): string[] {
  const problems: string[] = [];
  if (DOT_SEGMENT.test(path)) problems.push('"." and ".." segments are resolved by path normalization');
  for (const [needle, why] of FORBIDDEN) if (path.includes(needle)) problems.push(`contains ${JSON.stringify(needle)}: ${why}`);
  return problems;
}

/**
 * MESH-AUTHZ-006 (AUTHZ-3): `paths`/`notPaths` of AuthorizationPolicy operations are written in
 * normalized form.
 *
 * Istio compares the rule against the request path after normalization (merging `//`, resolving
 * `.`/`..`, decoding), so a rule value that is not normalized never matches what it was meant to:
 * an ALLOW for `/api//v1` allows nothing, a DENY for `/a/../admin` denies nothing. Values with
 * `?`, `#`, `;`, `\` or `%` are the same mistake. Exact, prefix (`/api/*`), suffix (`*.png`) and
 * presence (`*`) forms are fine.
 */
export const MESH_AUTHZ_006: PolicyRule = {
  id: 'MESH-AUTHZ-006',
  practices: ['AUTHZ-3'],
  severity: RuleSeverity.ERROR,
  kinds: [AUTHORIZATION_POLICY_KIND],
  title: 'AuthorizationPolicy paths and notPaths are normalized (no ".", "..", "//", "%", "\\", ";", "?", "#")',
  explanation:
    'Istio matches paths after normalizing the request path, and backends resolve encodings, backslashes and path parameters '
    + 'on their own. A rule path that is not in normalized form never matches the request it was written for: a DENY is '
    + 'silently bypassed, an ALLOW silently denies, and the policy reads differently from what it enforces.',
  fix:
    'Write the decoded, normalized path: absolute, single slashes, no "." or ".." segments, no query, fragment, path '
    + 'parameters, backslashes or percent-encoding; use `/prefix/*`, `*suffix` or `*` for wildcards. A non-normalized path is '
    + 'always a mistake, so there is no exception for it.',
  check(object) {
    if (!isAuthorizationPolicy(object)) return [];
    const violations: RuleViolation[] = [];
    for (const entry of policyRules(specOf(object))) {
      for (const { clause, path } of ruleClauses(entry, 'to')) {
        for (const field of PATH_FIELDS) {
          for (const { value, index } of stringItems(clause[field])) {
            const problems = pathProblems(value);
            if (problems.length > 0) {
              violations.push({ path: `${path}.${field}[${index}]`, message: `operation.${field} value ${JSON.stringify(value)} is not normalized: ${problems.join('; ')}` });
            }
          }
        }
      }
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['authorizationpolicies'] }],
    expression: celEachPolicyRule(celEach('r.to', 't', `!has(t.operation) || (${PATH_FIELDS.map((f) => celEach(`t.operation.${f}`, 'p',
      `!p.split('/').exists(s, s == '.' || s == '..') && ${FORBIDDEN.map(([needle]) => `!p.contains(${celString(needle)})`).join(' && ')}`,
    )).join(' && ')})`)),
    message: 'MESH-AUTHZ-006 (AUTHZ-3): AuthorizationPolicy paths/notPaths must be normalized: no "." or ".." segments, "//", "%", "\\", ";", "?" or "#"',
  },
};
