import { Construct, IConstruct } from 'constructs';
import { daysBetween, isCalendarDate, systemToday } from './calendar';
import { configError } from '../core/errors';

/** Context key holding today's date (`YYYY-MM-DD`) for expiry checks; tests set it to pin the clock. */
export const CLOCK_CONTEXT_KEY = 'cdk8s-secure-mesh:today';

/** Days before expiry from which an exception is reported as expiring soon. */
export const EXPIRY_WARNING_DAYS = 14;

export { isCalendarDate };

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

/**
 * What is wrong with a written reason (a justification, a mesh-wide reason, a warn phase's
 * reason), as `[problem, fix]`, or undefined: a placeholder anywhere, or not a real sentence
 * (at least 30 characters and 5 words).
 */
export function reasonProblem(text: string): [string, string] | undefined {
  const marker = PLACEHOLDER_MARKERS.map((m) => m.exec(text)?.[0].trim()).find((m) => m);
  if (marker) {
    return [`"${text}" contains the placeholder "${marker}"`,
      'Write the real reason before it is merged: why the default cannot hold here and what compensates'];
  }
  if (text.length < 30 || text.split(/\s+/).length < 5 || PLACEHOLDERS.test(text)) {
    return [`"${text}" is not a justification`,
      'Write a real sentence (at least 30 characters, 5 words): why the default cannot hold here and what compensates'];
  }
  return undefined;
}

/** `Kind/namespace/name` or `Kind/name`. */
const OBJECT_REF = /^[A-Za-z][A-Za-z0-9]*\/([a-z0-9][-a-z0-9]*\/)?[a-z0-9][-a-z0-9.:]*$/;

/** The namespace of an object reference (`''` for a cluster-scoped `Kind/name`). */
export function namespaceOfRef(ref: string): string {
  const parts = ref.split('/');
  return parts.length === 3 ? parts[1] : '';
}

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
   * The objects the exception covers, each as `Kind/namespace/name` (`Kind/name` for a
   * cluster-scoped object): an explicit list, never "everything under here", so an exception
   * made for one object cannot silently cover another that appears later. Synthesis errors name
   * the objects as they must be written here.
   *
   * Objects in more than one namespace (a cluster-scoped object counts as its own) need
   * `meshWideReason`.
   */
  readonly objects: string[];
  /**
   * The ports covered. A violation about a port (an excluded inbound port, a plaintext port) is
   * covered only when its port is listed here; violations that are not about a port are covered
   * by the object alone.
   *
   * @default - none: no violation about a port is covered
   */
  readonly ports?: number[];
  /**
   * Why one exception must cover objects in more than one namespace, when its `objects` do:
   * a real sentence, as for `justification`. Such an exception is recorded in each namespace's
   * registry, so every owning team sees it.
   *
   * @default - the objects must all be in one namespace
   */
  readonly meshWideReason?: string;
  /**
   * Narrows the exception further to objects written by this construct subtree.
   *
   * @default - wherever the listed objects are written in the app
   */
  readonly scope?: IConstruct;
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

  /**
   * Today's date as the exception checks see it: the context `cdk8s-secure-mesh:today` when set
   * (never silently: synthesis warns and the report and every exception registry record it),
   * else the system clock (UTC). A malformed override is an error, not a fallback.
   */
  public static today(scope: IConstruct): string {
    return PolicyException.clockOverride(scope) ?? systemToday();
  }

  /** The date the context `cdk8s-secure-mesh:today` pins "today" to, or undefined when the system clock is used. */
  public static clockOverride(scope: IConstruct): string | undefined {
    const pinned: unknown = scope.node.tryGetContext(CLOCK_CONTEXT_KEY);
    if (pinned === undefined) return undefined;
    if (typeof pinned !== 'string' || !isCalendarDate(pinned)) {
      throw new Error(`[${scope.node.path}] context ${CLOCK_CONTEXT_KEY}: ${JSON.stringify(pinned)} is not a date. `
        + 'Fix: give YYYY-MM-DD, or remove the override so the system clock is used');
    }
    return pinned;
  }

  /** Ids of the rules relaxed. */
  public readonly rules: string[];
  public readonly justification: string;
  public readonly owner: string;
  public readonly expires: string;
  /** The subtree the exception is narrowed to, if any. */
  public readonly coveredScope?: IConstruct;
  /** Objects covered, as `Kind/namespace/name` or `Kind/name`. */
  public readonly objects: string[];
  /** Ports covered (violations about other ports are not). */
  public readonly ports: number[];
  /** Why the exception spans namespaces, if it does. */
  public readonly meshWideReason?: string;

  constructor(scope: Construct, id: string, props: PolicyExceptionProps) {
    super(scope, id);
    if (!props.rules || props.rules.length === 0) {
      throw configError(this, 'rules', 'an exception must name the rules it relaxes', 'List rule ids such as "MESH-EXC-001"');
    }
    const justification = this.reason('justification', props.justification);
    if (!props.owner || !props.owner.trim()) {
      throw configError(this, 'owner', 'an exception needs an owner', 'Name the team or person who answers for it');
    }
    if (!isCalendarDate(props.expires)) {
      throw configError(this, 'expires', `"${props.expires}" is not a date`, 'Give the last valid day as YYYY-MM-DD');
    }
    (props.ports ?? []).forEach((p, i) => {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw configError(this, `ports[${i}]`, `${p} is not a port`, 'Use ports 1-65535');
    });
    if (!Array.isArray(props.objects) || props.objects.length === 0) {
      throw configError(this, 'objects', 'an exception must list the objects it covers',
        'List them as Kind/namespace/name (Kind/name if cluster-scoped), as the synthesis error names them, e.g. "Deployment/payments/ledger"');
    }
    props.objects.forEach((o, i) => {
      if (!OBJECT_REF.test(o)) {
        throw configError(this, `objects[${i}]`, `"${o}" is not an object reference`, 'Write Kind/namespace/name, e.g. "Deployment/payments/ledger"');
      }
    });
    const namespaces = [...new Set(props.objects.map(namespaceOfRef))].sort();
    if (namespaces.length > 1 && props.meshWideReason === undefined) {
      throw configError(this, 'meshWideReason', `the objects span ${namespaces.length} namespaces (${namespaces.map((n) => n || '<cluster>').join(', ')})`,
        'Split the exception per namespace (each team owns its own), or give meshWideReason: why one exception must span them');
    }
    this.meshWideReason = props.meshWideReason === undefined ? undefined : this.reason('meshWideReason', props.meshWideReason);
    this.rules = [...new Set(props.rules)].sort();
    this.justification = justification;
    this.owner = props.owner.trim();
    this.expires = props.expires;
    this.coveredScope = props.scope;
    this.objects = [...new Set(props.objects)].sort();
    this.ports = [...(props.ports ?? [])];
  }

  /** A reason field (justification, meshWideReason) as written, or an error saying why it is no reason. */
  private reason(field: string, value: string | undefined): string {
    const text = (value ?? '').trim();
    const problem = reasonProblem(text);
    if (problem) throw configError(this, field, problem[0], problem[1]);
    return text;
  }

  /** Whether the exception has expired on `today` (`YYYY-MM-DD`). */
  public isExpired(today: string): boolean {
    return this.expires < today;
  }

  /** Days from `today` until expiry (negative when expired). */
  public daysLeft(today: string): number {
    return daysBetween(today, this.expires);
  }

  /** The annotation value recording this exception on an object: `RULE@expires` entries. */
  public stamp(rule: string): string {
    return `${rule}@${this.expires}`;
  }
}
