import { daysBetween, isCalendarDate } from './calendar';
import { reasonProblem } from './policy-exception';

/** Props of the warn phase of a guardrails rollout. */
export interface AdmissionWarnPhaseProps {
  /**
   * Last day of the warn phase (`YYYY-MM-DD`). After it, synthesis fails until the guardrails
   * move to `AdmissionRollout.enforce()` (or the phase is renewed with a new reason and date),
   * and the audit reports bindings still warning.
   */
  readonly until: string;
  /** Who answers for moving to deny (a team or a person). */
  readonly owner: string;
  /**
   * Why the cluster cannot refuse yet and what is being fixed meanwhile, e.g. "existing
   * workloads in shop and billing are being migrated; the audit log is reviewed weekly".
   */
  readonly reason: string;
}

/**
 * How the admission guardrails act on a violation: the staged rollout of OPS-1.
 *
 * - `warnUntil(...)`: every policy only warns the client and writes an audit annotation
 *   (`validationActions: [Warn, Audit]`), so a running cluster sees what would be refused
 *   without refusing it. The bindings read no exception registry in this phase (a namespace
 *   without one would otherwise refuse every write), so excepted objects warn too. The phase is
 *   a recorded decision (owner, reason, end date on every binding) that synthesis and the audit
 *   check: it cannot outlast its date silently.
 * - `enforce()`: every policy of an error rule refuses (`Deny`). Rules that are warnings, or
 *   newer than the app's rule set, warn and audit in both phases.
 */
export class AdmissionRollout {
  /** Refuse violations (the end state, and the default). */
  public static enforce(): AdmissionRollout {
    return new AdmissionRollout('deny');
  }

  /** Warn and audit only, until the given day; see {@link AdmissionWarnPhaseProps}. */
  public static warnUntil(props: AdmissionWarnPhaseProps): AdmissionRollout {
    return new AdmissionRollout('warn', props);
  }

  /** `deny` or `warn`. */
  public readonly phase: string;
  /** Last day of the warn phase. */
  public readonly until?: string;
  /** Who answers for the warn phase. */
  public readonly owner?: string;
  /** Why the cluster warns instead of refusing. */
  public readonly reason?: string;

  private constructor(phase: string, props?: AdmissionWarnPhaseProps) {
    this.phase = phase;
    this.until = props?.until;
    this.owner = props?.owner?.trim();
    this.reason = props?.reason?.trim();
  }

  /**
   * What is wrong with the phase on `today` for a mesh whose exceptions last at most `maxDays`
   * (the warn phase is bounded like one), as `[field, problem, fix]`, or undefined.
   *
   * @internal
   */
  public _problem(today: string, maxDays: number): [string, string, string] | undefined {
    if (this.phase === 'deny') return undefined;
    if (!isCalendarDate(this.until)) return ['rollout.until', `"${this.until}" is not a date`, 'Give the last day of the warn phase as YYYY-MM-DD'];
    if (!this.owner) return ['rollout.owner', 'the warn phase needs an owner', 'Name the team or person who moves the guardrails to deny'];
    const reason = reasonProblem(this.reason ?? '');
    if (reason) return ['rollout.reason', reason[0], 'Write a real sentence (at least 30 characters, 5 words, no placeholder): why the cluster cannot refuse yet and what is being fixed'];
    if (this.until < today) {
      return ['rollout.until', `the warn phase ended on ${this.until} (today is ${today}; owner ${this.owner})`,
        'Move to AdmissionRollout.enforce(), or renew the phase with a new reason and date'];
    }
    const days = daysBetween(today, this.until);
    if (days > maxDays) {
      return ['rollout.until', `${this.until} is ${days} days away; a warn phase lasts at most ${maxDays} days (MeshBaseline maxExceptionDays)`,
        `Give an end date within ${maxDays} days`];
    }
    return undefined;
  }
}

/** Annotations a binding in the warn phase carries, so the decision is visible in the cluster and to the audit. */
export const ROLLOUT_ANNOTATIONS = {
  phase: 'secure-mesh.cdk8s.io/rollout-phase',
  until: 'secure-mesh.cdk8s.io/warn-until',
  owner: 'secure-mesh.cdk8s.io/warn-owner',
  reason: 'secure-mesh.cdk8s.io/warn-reason',
} as const;

/** The annotations of a binding under `rollout` (none when it enforces). */
export function rolloutAnnotations(rollout: AdmissionRollout): { [key: string]: string } | undefined {
  if (rollout.phase === 'deny') return undefined;
  return {
    [ROLLOUT_ANNOTATIONS.owner]: rollout.owner ?? '',
    [ROLLOUT_ANNOTATIONS.phase]: 'warn',
    [ROLLOUT_ANNOTATIONS.reason]: rollout.reason ?? '',
    [ROLLOUT_ANNOTATIONS.until]: rollout.until ?? '',
  };
}
