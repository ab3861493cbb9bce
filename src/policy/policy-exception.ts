import { Construct, IConstruct } from 'constructs';
import { configError } from '../core/errors';

/** Context key holding today's date (`YYYY-MM-DD`) for expiry checks; tests set it to pin the clock. */
export const CLOCK_CONTEXT_KEY = 'cdk8s-secure-mesh:today';

/** Days before expiry from which an exception is reported as expiring soon. */
export const EXPIRY_WARNING_DAYS = 14;

/** Words that mean "not written yet" when a justification starts with them. */
const PLACEHOLDERS = /^(todo|tbd|n\/?a|none|temp|temporary|test|fixme|xxx|needed|required|because)\b/i;
/**
 * Markers of an unwritten justification wherever they stand ("Justification: TODO - fill this in"):
 * the upper-case notes (so "the todo-list service" is a reason, "TODO" is not) and filler text.
 */
const PLACEHOLDER_MARKERS = [
  /\b(TODO|TBD|FIXME|XXX+)\b/,
  /\b(lorem ipsum|placeholder|fill (this |it )?in|to be (written|decided|defined))\b|(^|\s)n\/a(?=\s|$|[.,;])/i,
];

/** Props of a PolicyException. */
export interface PolicyExceptionProps {
  /** Ids of the rules relaxed, e.g. `['MESH-EXC-001']`. Each must be a known rule. */
  readonly rules: string[];
  /**
   * Why the secure default cannot hold here and what compensates for it: a real sentence
   * (at least 30 characters and 5 words), kept in the audit trail.
   */
  readonly justification: string;
  /** Who answers for the exception: a team or a person (e.g. `team-payments@example.com`). */
  readonly owner: string;
  /** Last day the exception is valid (`YYYY-MM-DD`); synthesis fails after it. */
  readonly expires: string;
  /**
   * The construct subtree whose objects the exception covers.
   *
   * @default - the subtree the exception is defined in (its parent scope)
   */
  readonly scope?: IConstruct;
  /**
   * Only these objects of the subtree, as `Kind/namespace/name`.
   *
   * @default - every object of the subtree
   */
  readonly objects?: string[];
  /**
   * Only violations about these ports (e.g. an excluded inbound port).
   *
   * @default - violations about any port, or none
   */
  readonly ports?: number[];
}

/**
 * A deliberate, visible, temporary way out of a rule (EXC-1).
 *
 * It names the rules it relaxes, where (a construct subtree, optionally narrowed to objects and
 * ports), why, who owns it and until when. While it is valid, violations of those rules inside
 * its scope do not fail synthesis; each covered object is annotated with the exception, and the
 * policy report lists it. After `expires` synthesis fails, and an exception that covers nothing
 * is reported as stale. Nothing else relaxes a rule: no prop, no JSON patch, no raw object.
 */
export class PolicyException extends Construct {
  /** The context key that pins "today" (`YYYY-MM-DD`) for expiry checks, e.g. in tests. */
  public static readonly CLOCK_CONTEXT_KEY = CLOCK_CONTEXT_KEY;

  /** An exception expiring within this many days is reported as `expiring` (and warned about). */
  public static readonly EXPIRY_WARNING_DAYS = EXPIRY_WARNING_DAYS;

  /** Today's date as the exception checks see it (context `cdk8s-secure-mesh:today`, else the system clock). */
  public static today(scope: IConstruct): string {
    const pinned = scope.node.tryGetContext(CLOCK_CONTEXT_KEY);
    if (typeof pinned === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(pinned)) return pinned;
    return new Date().toISOString().slice(0, 10);
  }

  /** Ids of the rules relaxed. */
  public readonly rules: string[];
  public readonly justification: string;
  public readonly owner: string;
  public readonly expires: string;
  /** The subtree covered. */
  public readonly coveredScope: IConstruct;
  /** Objects covered (empty: all in the subtree). */
  public readonly objects: string[];
  /** Ports covered (empty: any). */
  public readonly ports: number[];

  constructor(scope: Construct, id: string, props: PolicyExceptionProps) {
    super(scope, id);
    if (!props.rules || props.rules.length === 0) {
      throw configError(this, 'rules', 'an exception must name the rules it relaxes', 'List rule ids such as "MESH-EXC-001"');
    }
    const justification = (props.justification ?? '').trim();
    const marker = PLACEHOLDER_MARKERS.map((m) => m.exec(justification)?.[0].trim()).find((m) => m);
    if (marker) {
      throw configError(this, 'justification', `"${justification}" contains the placeholder "${marker}"`,
        'Write the real reason before the exception is merged: why the default cannot hold here and what compensates');
    }
    if (justification.length < 30 || justification.split(/\s+/).length < 5 || PLACEHOLDERS.test(justification)) {
      throw configError(this, 'justification', `"${justification}" is not a justification`,
        'Write a real sentence (at least 30 characters, 5 words): why the default cannot hold here and what compensates');
    }
    if (!props.owner || !props.owner.trim()) {
      throw configError(this, 'owner', 'an exception needs an owner', 'Name the team or person who answers for it');
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(props.expires ?? '') || Number.isNaN(Date.parse(`${props.expires}T00:00:00Z`))
      || new Date(`${props.expires}T00:00:00Z`).toISOString().slice(0, 10) !== props.expires) {
      throw configError(this, 'expires', `"${props.expires}" is not a date`, 'Give the last valid day as YYYY-MM-DD');
    }
    (props.ports ?? []).forEach((p, i) => {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw configError(this, `ports[${i}]`, `${p} is not a port`, 'Use ports 1-65535');
    });
    (props.objects ?? []).forEach((o, i) => {
      if (!/^[A-Za-z][A-Za-z0-9]*\/([a-z0-9-]+\/)?[a-z0-9][-a-z0-9.]*$/.test(o)) {
        throw configError(this, `objects[${i}]`, `"${o}" is not an object reference`, 'Write Kind/namespace/name, e.g. "Deployment/payments/ledger"');
      }
    });
    this.rules = [...new Set(props.rules)].sort();
    this.justification = justification;
    this.owner = props.owner.trim();
    this.expires = props.expires;
    this.coveredScope = props.scope ?? scope;
    this.objects = [...(props.objects ?? [])];
    this.ports = [...(props.ports ?? [])];
  }

  /** Whether the exception has expired on `today` (`YYYY-MM-DD`). */
  public isExpired(today: string): boolean {
    return this.expires < today;
  }

  /** Days from `today` until expiry (negative when expired). */
  public daysLeft(today: string): number {
    return Math.round((Date.parse(`${this.expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
  }

  /** The annotation value recording this exception on an object: `RULE@expires` entries. */
  public stamp(rule: string): string {
    return `${rule}@${this.expires}`;
  }
}
