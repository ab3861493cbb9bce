import { ALL_RULES } from './rule-pack';

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
  /** Whether the rule also runs at admission (ValidatingAdmissionPolicy). */
  readonly admission: boolean;
}

/** The rule set the library enforces at synth, in audits and at admission. */
export class PolicyRules {
  /** Every rule, in table order. */
  public static list(): RuleInfo[] {
    return ALL_RULES.map((r) => ({
      id: r.id,
      practices: [...r.practices],
      severity: r.severity,
      title: r.title,
      explanation: r.explanation,
      fix: r.fix,
      admission: r.admission !== undefined,
    }));
  }

  private constructor() {}
}
