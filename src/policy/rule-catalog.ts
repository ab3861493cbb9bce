import { INVARIANT_RULE_IDS } from './admission-invariants';
import { rulesFor } from './rule-pack';
import { LATEST_RULE_SET, RULE_SETS, RULE_SET_CONTEXT_KEY } from './rule-sets';

/** A rule of the rule set, as documentation (the rule logic itself is internal). */
export interface RuleInfo {
  /** Stable id, e.g. `MESH-MTLS-002`. */
  readonly id: string;
  /** Practice ids it implements. */
  readonly practices: string[];
  /** `error` or `warning`. */
  readonly severity: string;
  /** What the rule demands. */
  readonly title: string;
  /** The risk when it is broken. */
  readonly explanation: string;
  /** How to fix a violation. */
  readonly fix: string;
  /** Whether the rule also runs at admission (a ValidatingAdmissionPolicy, for some rules with the app's cluster settings written in). */
  readonly admission: boolean;
  /** The rule set that introduced the rule or made it stricter (`'1'`, `'2'`, ...). */
  readonly since: string;
  /** Whether the rule runs only in the audit (over several repositories' outputs together), not at synthesis. */
  readonly auditOnly: boolean;
}

/**
 * The rule set the library enforces at synth, in audits and at admission (audit-only rules: in
 * audits alone), and its versions: an
 * app declares the set it was written against (`ruleSet` in secure-mesh.yaml, or the context key
 * `RULE_SET_CONTEXT_KEY`); rules added or made stricter in a later set report as warnings for it.
 */
export class PolicyRules {
  /** The rule sets, oldest first. */
  public static readonly RULE_SETS: string[] = [...RULE_SETS];
  /** The newest rule set, which applies when an app declares none. */
  public static readonly LATEST_RULE_SET: string = LATEST_RULE_SET;
  /** Context key declaring the app's rule set at synth (overrides secure-mesh.yaml's `ruleSet`). */
  public static readonly RULE_SET_CONTEXT_KEY: string = RULE_SET_CONTEXT_KEY;

  /**
   * Every rule, in table order, with the severity it has for an app that declares `ruleSet`.
   * @param ruleSet the declared rule set; default: the latest
   */
  public static list(ruleSet?: string): RuleInfo[] {
    return rulesFor(ruleSet).map((r) => ({
      id: r.id,
      practices: [...r.practices],
      severity: r.severity,
      title: r.title,
      explanation: r.explanation,
      fix: r.fix,
      admission: r.admission !== undefined || r.admissionFor !== undefined || INVARIANT_RULE_IDS.includes(r.id),
      since: r.since ?? RULE_SETS[0],
      auditOnly: r.auditOnly === true,
    }));
  }

  private constructor() {}
}
