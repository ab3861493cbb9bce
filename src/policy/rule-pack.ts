import { PolicyRule } from './rule';
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
