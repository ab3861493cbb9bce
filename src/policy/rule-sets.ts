import { CUSTOM_POD_TEMPLATE_KIND } from './rule';

/**
 * Rule sets: the rules are versioned so that upgrading the library never turns a consumer's green
 * synth red without notice. An app declares the set it was written against (`ruleSet` in
 * `secure-mesh.yaml`, or the context key below); rules added (or made stricter) in a later set
 * report as warnings for it until it moves up. Without a declaration the latest set applies.
 * The changelog (CHANGELOG.md, "Rule sets") names the rules of each set.
 */

/** The rule sets, oldest first. */
export const RULE_SETS: readonly string[] = ['1', '2'];

/** The newest rule set: what applies when an app declares none. */
export const LATEST_RULE_SET = RULE_SETS[RULE_SETS.length - 1];

/** Context key declaring the app's rule set at synth (overrides `ruleSet` in secure-mesh.yaml). */
export const RULE_SET_CONTEXT_KEY = 'cdk8s-secure-mesh:rule-set';

/** What is wrong with `value` as a rule set, or undefined when it names one. */
export function ruleSetProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && RULE_SETS.includes(value)) return undefined;
  return `${JSON.stringify(value)} is not a rule set (known: ${RULE_SETS.join(', ')}; the latest is ${LATEST_RULE_SET})`;
}

/** Whether a rule introduced in set `since` (absent: the first) is newer than `declared`. */
export function isNewerThan(since: string | undefined, declared: string): boolean {
  return RULE_SETS.indexOf(since ?? RULE_SETS[0]) > RULE_SETS.indexOf(declared);
}

/**
 * Kind keys rules gained in a later set (`since`): for an app on an older set they are dropped
 * from the rules' `kinds`, so its objects of those kinds are checked as they were in its set.
 * Set 2 reads custom workload kinds (Argo Rollouts, ...) through their pod template.
 */
export const KINDS_ADDED: readonly { readonly kind: string; readonly since: string }[] = [
  { kind: CUSTOM_POD_TEMPLATE_KIND, since: '2' },
];
