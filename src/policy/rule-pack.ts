import { PolicyRule, RuleSeverity } from './rule';
import { KINDS_ADDED, LATEST_RULE_SET, RULE_SET_CONTEXT_KEY, isNewerThan, ruleSetProblem } from './rule-sets';
import { MESH_RULES } from './rules/mesh-rules';
import { SECRET_K8S_001 } from './rules/secret-k8s-001';
import { WORKLOAD_RULES } from './rules/workload-rules';

/**
 * The rule set, as a table: every rule the library enforces at synth, in the audit command and
 * (where CEL can express it) at admission. Ids are stable and unique.
 */
export const ALL_RULES: readonly PolicyRule[] = [...MESH_RULES, ...WORKLOAD_RULES, SECRET_K8S_001];

/** The rule with this id, or undefined. */
export function ruleById(id: string): PolicyRule | undefined {
  return ALL_RULES.find((r) => r.id === id);
}

const BY_SET = new Map<string, readonly PolicyRule[]>();

/**
 * The rules as they apply to an app that declares rule set `declared` (the latest when
 * undefined): a rule added or made stricter in a later set (`since`) is a WARNING, and its fix
 * says which set makes it an error. Same ids, same checks; memoized per set.
 */
export function rulesFor(declared: string | undefined): readonly PolicyRule[] {
  const set = declared ?? LATEST_RULE_SET;
  const problem = ruleSetProblem(set);
  if (problem) throw new Error(`rule set ${problem}`);
  let rules = BY_SET.get(set);
  if (!rules) {
    const laterKinds = new Set(KINDS_ADDED.filter((k) => isNewerThan(k.since, set)).map((k) => k.kind));
    rules = ALL_RULES.map((rule) => {
      const kinds = rule.kinds?.some((k) => laterKinds.has(k)) ? { kinds: rule.kinds.filter((k) => !laterKinds.has(k)) } : {};
      if (!isNewerThan(rule.since, set) || rule.severity === RuleSeverity.WARNING) return Object.keys(kinds).length ? { ...rule, ...kinds } : rule;
      return {
        ...rule,
        ...kinds,
        severity: RuleSeverity.WARNING,
        fix: `New in rule set ${rule.since}: a warning for this app, which declares rule set ${set}; declare ${rule.since} or later `
          + `(ruleSet in secure-mesh.yaml, or the context key ${RULE_SET_CONTEXT_KEY}) to make it an error. ${rule.fix}`,
      };
    });
    BY_SET.set(set, rules);
  }
  return rules;
}
