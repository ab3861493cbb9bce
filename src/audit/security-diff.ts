import { AccessMatrix } from './access-matrix';
import { AccessDecision, AccessEdge, DeclaredWorkload } from './access-types';
import { AuditFinding, AuditResult, auditManifests, auditSettingsOf } from './audit';
import { readRegistries } from './exception-registry-reader';
import { LoadedManifest } from './manifest-loader';
import { PathNormalization } from './path-normalization';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { daysBetween, isCalendarDate, systemToday } from '../policy/calendar';
import { EXPIRY_WARNING_DAYS } from '../policy/policy-exception';
import { RuleSeverity } from '../policy/rule';
import { ALL_RULES } from '../policy/rule-pack';

/**
 * What a change does to security (OPS-3, EXC-1): the comparison of two sets of manifests, BASE
 * (before) and HEAD (after), typically the synthesized output of a pull request's base and head.
 *
 * - Access: the edges of the two access matrices (caller -> target:port, allowed or possibly
 *   allowed), keyed by caller, target and port. An edge only HEAD has is added (with the
 *   AuthorizationPolicy rules that allow it and what they require of a request); an edge only BASE
 *   has is removed (with what allowed it, and what refuses it in HEAD). An edge of both whose
 *   requests (the conditions of its allowing rules), decision or plaintext admission differ is
 *   widened (HEAD admits something BASE did not list) or otherwise changed. The policies' rule
 *   indices are not compared: removing one grant renumbers the rules of the same policy without
 *   changing what the other edges allow.
 * - Exceptions: the records of the exception registries, one per record id (an exception recorded
 *   in several namespaces' registries is merged). Added, removed, widened (more rules, objects or
 *   ports, a later expiry) or otherwise changed (narrowed, another owner or justification), and
 *   those of HEAD that expire within `expiringWithinDays` of `today` (or have expired).
 * - Findings: the audit of each side, keyed by rule, object and JSON path (never by file or line,
 *   which move with any edit). Only findings that count are compared (not covered by an
 *   accepted exception): new in HEAD, fixed (gone from HEAD), or now covered by an exception.
 *   Findings that HEAD's new exceptions cover are listed with those exceptions (`covers`).
 *
 * No I/O of its own: the mesh settings come in `options.config` and are passed to both sides.
 * (`AccessMatrix.fromManifests` still looks for ./secure-mesh.yaml in the working directory and
 * applies these settings over it; its trust-domain aliases apply when `config` has none.) The
 * result is ordered deterministically: edges by caller, target, port; exceptions by id (expiring
 * ones by date); findings by rule, object, path, message.
 */

/** Options of {@link securityDiff}. */
export interface SecurityDiffOptions {
  /**
   * Today (`YYYY-MM-DD`), for exception expiry in the audit of both sides and for `expiring`.
   * @default - the system clock (UTC), as the audit
   */
  readonly today?: string;
  /**
   * Exceptions of HEAD expiring within this many days of `today` (or already expired) are listed
   * in `exceptions.expiring`.
   * @default EXPIRY_WARNING_DAYS (14)
   */
  readonly expiringWithinDays?: number;
  /**
   * Mesh settings for both sides (trust domain, namespaces, operator groups, registries, rule
   * set, longest exception lifetime), as the CLI reads them from secure-mesh.yaml.
   * @default - the defaults (cluster.local, istio-system, no groups)
   */
  readonly config?: SecureMeshConfig;
  /** Workloads that are not in the manifests (gateways), declared on both sides. @default - none */
  readonly workloads?: DeclaredWorkload[];
  /** Infer gateway workloads from Istio Gateway selectors. @default true */
  readonly inferGateways?: boolean;
  /** meshConfig.pathNormalization. @default PathNormalization.BASE */
  readonly pathNormalization?: PathNormalization;
  /**
   * Whether the audit expects the mesh baseline in the input.
   * @default - when any object lives in the root namespace (as the audit)
   */
  readonly expectMeshBaseline?: boolean;
}

/** An edge of one side, without the per-layer detail of the access matrix. */
export interface DiffEdge {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: string;
  /** `allowed`, or `unknown` (it depends on something the manifests do not say). */
  readonly decision: AccessDecision;
  /** The AuthorizationPolicy rules that allow it (`AuthorizationPolicy/ns/name rules[i]`): the deciding policy. */
  readonly allowedBy: string[];
  /** What those rules require of a request (`GET /ratings/*`), one entry per rule. */
  readonly conditions: string[];
  /** NetworkPolicies admitting it at the target. */
  readonly networkIngress: string[];
  /** NetworkPolicies letting it out of the caller. */
  readonly networkEgress: string[];
  readonly mtlsMode: string;
  readonly plaintextAccepted: boolean;
}

/** How HEAD answers a call that BASE allowed. */
export interface RemovedEdgeNow {
  /** `denied` or `unknown` (HEAD's answer), or `absent` (the caller, the target or the port is not in HEAD). */
  readonly decision: AccessDecision | 'absent';
  /** The policy that decides in HEAD (`Kind/namespace/name`; empty: a default, or absent). */
  readonly decidedBy: string;
  /** The layer of `decidedBy` (empty when absent). */
  readonly layer: string;
  readonly reason: string;
}

/** An edge of BASE that HEAD does not have. */
export interface RemovedEdge extends DiffEdge {
  readonly now: RemovedEdgeNow;
}

/** An edge of both sides whose requests, decision or plaintext admission differ. */
export interface EdgeChange {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** Requests HEAD's allowing rules list that BASE's do not. */
  readonly requestsAdded: string[];
  /** Requests BASE's allowing rules list that HEAD's do not. */
  readonly requestsRemoved: string[];
  /** What HEAD admits beyond BASE (empty: nothing). */
  readonly widened: string[];
  /** What HEAD no longer admits. */
  readonly narrowed: string[];
  /** Other differences (protocol, an allowed edge that became unknown). */
  readonly other: string[];
  readonly base: DiffEdge;
  readonly head: DiffEdge;
}

/** An exception as the registries of one side record it. */
export interface DiffException {
  /** The record id (`chart/exception`). */
  readonly id: string;
  readonly rules: string[];
  readonly objects: string[];
  /** Ports it is limited to (empty: violations without a port only). */
  readonly ports: number[];
  readonly owner: string;
  readonly justification: string;
  /** Last valid day. */
  readonly expires: string;
  /** Days from `today` to `expires` (negative: expired). */
  readonly daysLeft: number;
  /** The registries recording it (`namespace/secure-mesh-exceptions`). */
  readonly registries: string[];
  readonly meshWideReason?: string;
  /** The findings of that side it covers, as `RULE Kind/namespace/name path`. */
  readonly covers: string[];
}

/** An exception of both sides that differs. */
export interface ExceptionChange {
  readonly id: string;
  /** How it covers more in HEAD: rules, objects or ports added, a later expiry. */
  readonly widened: string[];
  /** How it covers less: rules, objects or ports removed, an earlier expiry. */
  readonly narrowed: string[];
  /** Other differences: owner, justification, mesh-wide reason, registries. */
  readonly other: string[];
  readonly base: DiffException;
  readonly head: DiffException;
}

/** A finding of one side. */
export interface DiffFinding {
  readonly ruleId: string;
  readonly severity: RuleSeverity;
  /** `Kind/namespace/name`, or `<mesh>`. */
  readonly object: string;
  /** JSON path in the object. */
  readonly path: string;
  readonly message: string;
  /** Where it is in that side's files. */
  readonly file?: string;
  readonly line?: number;
  /** For a new finding that BASE excepted: the exception that no longer covers it. For a finding now excepted: the exception that covers it. */
  readonly exceptionId?: string;
}

/** Counts of the result. */
export interface SecurityDiffCounts {
  readonly edgesAdded: number;
  readonly edgesRemoved: number;
  readonly edgesWidened: number;
  readonly edgesChanged: number;
  readonly exceptionsAdded: number;
  readonly exceptionsRemoved: number;
  readonly exceptionsWidened: number;
  readonly exceptionsChanged: number;
  readonly exceptionsExpiring: number;
  readonly findingsNew: number;
  readonly findingsFixed: number;
  readonly findingsExcepted: number;
}

/** Whether the change widens access. */
export interface SecurityDiffVerdict {
  /** Whether anything changed (edges, exceptions, findings; expiring exceptions are not a change). */
  readonly changed: boolean;
  /** An edge added, or an edge that admits more (requests, an unknown edge now allowed, plaintext). */
  readonly widensAccess: boolean;
  /** An edge removed or narrowed. */
  readonly narrowsAccess: boolean;
  /** An exception added or widened. */
  readonly widensExceptions: boolean;
  /** A finding that counts is new. */
  readonly newFindings: boolean;
  /** One line: `widens access, adds or widens exceptions`, `narrows access`, `no change to security`... */
  readonly summary: string;
}

/** What a change does to security. */
export interface SecurityDiff {
  /** The date expiry was checked against. */
  readonly today: string;
  readonly expiringWithinDays: number;
  readonly verdict: SecurityDiffVerdict;
  readonly counts: SecurityDiffCounts;
  readonly edges: {
    readonly added: DiffEdge[];
    readonly removed: RemovedEdge[];
    /** Edges that admit more in HEAD (possibly also less). */
    readonly widened: EdgeChange[];
    /** Edges that differ otherwise (narrowed, protocol, allowed to unknown). */
    readonly changed: EdgeChange[];
  };
  readonly exceptions: {
    readonly added: DiffException[];
    readonly removed: DiffException[];
    /** Exceptions that cover more in HEAD (possibly also less). */
    readonly widened: ExceptionChange[];
    /** Exceptions that differ otherwise (narrowed, owner, justification). */
    readonly changed: ExceptionChange[];
    /** HEAD's exceptions expiring within `expiringWithinDays` of today, or expired; by expiry. */
    readonly expiring: DiffException[];
  };
  readonly findings: {
    /** Findings of HEAD (not excepted) that BASE does not have (or excepted). */
    readonly new: DiffFinding[];
    /** Findings of BASE (not excepted) that HEAD does not have. */
    readonly fixed: DiffFinding[];
    /** Findings of BASE (not excepted) that an exception covers in HEAD. */
    readonly excepted: DiffFinding[];
  };
}

/** One side, evaluated. */
interface Side {
  readonly edges: Map<string, AccessEdge>;
  readonly matrix: AccessMatrix;
  readonly audit: AuditResult;
  readonly exceptions: Map<string, DiffException>;
}

/**
 * Compares BASE and HEAD: the access matrix, the exception registries and the audit of each (see
 * the module documentation). Throws on invalid options (a `today` that is not a date, a negative
 * number of days) and when the access matrix or the audit refuse the settings.
 */
export function securityDiff(base: readonly LoadedManifest[], head: readonly LoadedManifest[], options: SecurityDiffOptions = {}): SecurityDiff {
  const today = options.today ?? systemToday();
  if (!isCalendarDate(today)) throw new Error(`securityDiff: today must be YYYY-MM-DD, got ${JSON.stringify(today)}`);
  const expiringWithinDays = options.expiringWithinDays ?? EXPIRY_WARNING_DAYS;
  if (!Number.isInteger(expiringWithinDays) || expiringWithinDays < 0) {
    throw new Error(`securityDiff: expiringWithinDays must be a whole number of days (0 or more), got ${expiringWithinDays}`);
  }
  const config = options.config ?? SecureMeshConfig.fromSettings({});
  const b = evaluate(base, config, today, options);
  const h = evaluate(head, config, today, options);

  const edges = compareEdges(b, h);
  const exceptions = compareExceptions(b, h, today, expiringWithinDays);
  const findings = diffFindings(b.audit, h.audit);
  const counts: SecurityDiffCounts = {
    edgesAdded: edges.added.length,
    edgesRemoved: edges.removed.length,
    edgesWidened: edges.widened.length,
    edgesChanged: edges.changed.length,
    exceptionsAdded: exceptions.added.length,
    exceptionsRemoved: exceptions.removed.length,
    exceptionsWidened: exceptions.widened.length,
    exceptionsChanged: exceptions.changed.length,
    exceptionsExpiring: exceptions.expiring.length,
    findingsNew: findings.new.length,
    findingsFixed: findings.fixed.length,
    findingsExcepted: findings.excepted.length,
  };
  const verdict = verdictOf(counts, [...edges.widened, ...edges.changed], exceptions.changed);
  return { today, expiringWithinDays, verdict, counts, edges, exceptions, findings };
}

function evaluate(manifests: readonly LoadedManifest[], config: SecureMeshConfig, today: string, options: SecurityDiffOptions): Side {
  const matrix = AccessMatrix.fromManifests(manifests.map((m) => m.object), {
    trustDomain: config.trustDomain,
    trustDomainAliases: config.trustDomainAliases,
    rootNamespace: config.rootNamespace,
    workloads: options.workloads,
    inferGateways: options.inferGateways,
    pathNormalization: options.pathNormalization,
  });
  const audit = auditManifests(manifests, { ...auditSettingsOf(config), today, expectMeshBaseline: options.expectMeshBaseline });
  const edges = new Map<string, AccessEdge>();
  for (const e of matrix.edges()) edges.set(edgeKey(e), e);
  return { edges, matrix, audit, exceptions: exceptionsOf(manifests, audit, today) };
}

function edgeKey(e: { from: string; to: string; port: number }): string {
  return `${e.from}\u0000${e.to}\u0000${e.port}`;
}

function diffEdge(e: AccessEdge): DiffEdge {
  return {
    from: e.from,
    to: e.to,
    port: e.port,
    protocol: e.protocol,
    decision: e.decision,
    allowedBy: [...e.allowedBy],
    conditions: [...e.conditions],
    networkIngress: [...e.networkIngress],
    networkEgress: [...e.networkEgress],
    mtlsMode: e.mtlsMode,
    plaintextAccepted: e.plaintextAccepted,
  };
}

function compareEdges(b: Side, h: Side): SecurityDiff['edges'] {
  const added: DiffEdge[] = [];
  const removed: RemovedEdge[] = [];
  const widened: EdgeChange[] = [];
  const changed: EdgeChange[] = [];
  for (const [key, e] of h.edges) if (!b.edges.has(key)) added.push(diffEdge(e));
  const headWorkloads = new Set(h.matrix.workloads().map((w) => w.id));
  for (const [key, e] of b.edges) {
    const now = h.edges.get(key);
    if (!now) {
      removed.push({ ...diffEdge(e), now: answerInHead(h.matrix, headWorkloads, e) });
      continue;
    }
    const change = edgeChange(diffEdge(e), diffEdge(now));
    if (!change) continue;
    (change.widened.length > 0 ? widened : changed).push(change);
  }
  const order = (x: { from: string; to: string; port: number }, y: { from: string; to: string; port: number }) =>
    cmp(x.from, y.from) || cmp(x.to, y.to) || x.port - y.port;
  return { added: added.sort(order), removed: removed.sort(order), widened: widened.sort(order), changed: changed.sort(order) };
}

/** How HEAD answers a call BASE allowed. */
function answerInHead(matrix: AccessMatrix, workloads: ReadonlySet<string>, e: AccessEdge): RemovedEdgeNow {
  if (!workloads.has(e.from)) return { decision: 'absent', decidedBy: '', layer: '', reason: `the caller ${e.from} is not in HEAD` };
  if (e.to.includes('/') && !workloads.has(e.to)) {
    return { decision: 'absent', decidedBy: '', layer: '', reason: `the target ${e.to} is not in HEAD` };
  }
  try {
    const r = matrix.check({ from: e.from, to: e.to, port: e.port });
    return { decision: r.decision, decidedBy: r.decidedBy, layer: r.layer, reason: r.reason };
  } catch (err) {
    // A port or an external host that HEAD no longer has: check() says which.
    const message = (err instanceof Error ? err.message : String(err)).replace(/^check: /, '');
    return { decision: 'absent', decidedBy: '', layer: '', reason: message };
  }
}

/** Conditions that admit any request (no ALLOW policy applies, policy not enforced, a rule without conditions). */
function isAnyRequest(condition: string): boolean {
  return condition.startsWith('any request');
}

function edgeChange(base: DiffEdge, head: DiffEdge): EdgeChange | undefined {
  const widened: string[] = [];
  const narrowed: string[] = [];
  const other: string[] = [];
  const baseAny = base.conditions.some(isAnyRequest);
  const headAny = head.conditions.some(isAnyRequest);
  const requestsAdded = head.conditions.filter((c) => !base.conditions.includes(c));
  const requestsRemoved = base.conditions.filter((c) => !head.conditions.includes(c));
  if (headAny && !baseAny) {
    widened.push(`any request is allowed (was: ${base.conditions.join(' | ')})`);
  } else if (baseAny && !headAny) {
    narrowed.push(`only ${head.conditions.join(' | ')} (was: any request)`);
  } else if (!baseAny) {
    // Each condition is one allowing rule: a request is allowed when any rule matches it.
    if (requestsAdded.length > 0) widened.push(`requests added: ${requestsAdded.join(' | ')}`);
    if (requestsRemoved.length > 0) narrowed.push(`requests removed: ${requestsRemoved.join(' | ')}`);
  }
  if (base.decision !== head.decision) {
    const what = `decision ${base.decision} -> ${head.decision}`;
    if (head.decision === AccessDecision.ALLOWED) widened.push(what);
    else other.push(what);
  }
  if (base.plaintextAccepted !== head.plaintextAccepted) {
    if (head.plaintextAccepted) widened.push(`plaintext callers are admitted (mTLS ${base.mtlsMode} -> ${head.mtlsMode})`);
    else narrowed.push(`plaintext callers are refused (mTLS ${base.mtlsMode} -> ${head.mtlsMode})`);
  }
  if (base.protocol !== head.protocol) other.push(`protocol ${base.protocol} -> ${head.protocol}`);
  if (widened.length + narrowed.length + other.length === 0) return undefined;
  return { from: head.from, to: head.to, port: head.port, requestsAdded, requestsRemoved, widened, narrowed, other, base, head };
}

/** The exceptions the registries of one side record, merged by record id, with the findings each covers. */
function exceptionsOf(manifests: readonly LoadedManifest[], audit: AuditResult, today: string): Map<string, DiffException> {
  const reading = readRegistries(manifests, new Set(ALL_RULES.map((r) => r.id)));
  const covers = new Map<string, string[]>();
  for (const f of audit.findings) {
    if (f.excepted && f.exception) covers.set(f.exception.id, [...(covers.get(f.exception.id) ?? []), findingRef(f)]);
  }
  const merged = new Map<string, {
    rules: Set<string>;
    objects: Set<string>;
    ports: Set<number>;
    registries: Set<string>;
    owner: string;
    justification: string;
    expires: string;
    meshWideReason?: string;
  }>();
  const registries = [...reading.registries.values()].sort((x, y) => cmp(x.ref, y.ref));
  for (const registry of registries) {
    for (const { record } of registry.records) {
      const m = merged.get(record.id);
      if (!m) {
        merged.set(record.id, {
          rules: new Set(record.rules),
          objects: new Set(record.objects),
          ports: new Set(record.ports ?? []),
          registries: new Set([registry.ref]),
          owner: record.owner,
          justification: record.justification,
          expires: record.expires,
          meshWideReason: record.meshWideReason,
        });
        continue;
      }
      record.rules.forEach((r) => m.rules.add(r));
      record.objects.forEach((o) => m.objects.add(o));
      (record.ports ?? []).forEach((p) => m.ports.add(p));
      m.registries.add(registry.ref);
      // Records of one exception agree on the date; when they do not, the latest is what it may last.
      if (record.expires > m.expires) m.expires = record.expires;
      m.meshWideReason = m.meshWideReason ?? record.meshWideReason;
    }
  }
  const out = new Map<string, DiffException>();
  for (const id of [...merged.keys()].sort(cmp)) {
    const m = merged.get(id)!;
    out.set(id, {
      id,
      rules: [...m.rules].sort(cmp),
      objects: [...m.objects].sort(cmp),
      ports: [...m.ports].sort((x, y) => x - y),
      owner: m.owner,
      justification: m.justification,
      expires: m.expires,
      daysLeft: daysBetween(today, m.expires),
      registries: [...m.registries].sort(cmp),
      ...(m.meshWideReason !== undefined ? { meshWideReason: m.meshWideReason } : {}),
      covers: [...new Set(covers.get(id) ?? [])].sort(cmp),
    });
  }
  return out;
}

function findingRef(f: AuditFinding): string {
  return `${f.ruleId} ${f.object}${f.path ? ` ${f.path}` : ''}`;
}

function compareExceptions(b: Side, h: Side, today: string, days: number): SecurityDiff['exceptions'] {
  const added: DiffException[] = [];
  const removed: DiffException[] = [];
  const widened: ExceptionChange[] = [];
  const changed: ExceptionChange[] = [];
  for (const [id, e] of h.exceptions) if (!b.exceptions.has(id)) added.push(e);
  for (const [id, before] of b.exceptions) {
    const after = h.exceptions.get(id);
    if (!after) {
      removed.push(before);
      continue;
    }
    const change = exceptionChange(before, after);
    if (change) (change.widened.length > 0 ? widened : changed).push(change);
  }
  const expiring = [...h.exceptions.values()].filter((e) => daysBetween(today, e.expires) <= days)
    .sort((x, y) => cmp(x.expires, y.expires) || cmp(x.id, y.id));
  return { added, removed, widened, changed, expiring };
}

function exceptionChange(base: DiffException, head: DiffException): ExceptionChange | undefined {
  const widened: string[] = [];
  const narrowed: string[] = [];
  const other: string[] = [];
  const more = <T>(what: string, x: readonly T[], y: readonly T[]) => {
    const plus = y.filter((v) => !x.includes(v));
    const minus = x.filter((v) => !y.includes(v));
    if (plus.length > 0) widened.push(`${what} added: ${plus.join(', ')}`);
    if (minus.length > 0) narrowed.push(`${what} removed: ${minus.join(', ')}`);
  };
  more('rules', base.rules, head.rules);
  more('objects', base.objects, head.objects);
  more('ports', base.ports, head.ports);
  if (head.expires > base.expires) widened.push(`expires later: ${base.expires} -> ${head.expires}`);
  if (head.expires < base.expires) narrowed.push(`expires earlier: ${base.expires} -> ${head.expires}`);
  if (head.owner !== base.owner) other.push(`owner: ${base.owner} -> ${head.owner}`);
  if (head.justification !== base.justification) other.push('justification reworded');
  if (head.meshWideReason !== base.meshWideReason) other.push(head.meshWideReason === undefined ? 'mesh-wide reason removed' : 'mesh-wide reason set');
  if (head.registries.join() !== base.registries.join()) other.push(`registries: ${base.registries.join(', ')} -> ${head.registries.join(', ')}`);
  if (widened.length + narrowed.length + other.length === 0) return undefined;
  return { id: head.id, widened, narrowed, other, base, head };
}

function diffFinding(f: AuditFinding, exceptionId?: string): DiffFinding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    object: f.object,
    path: f.path,
    message: f.message,
    ...(f.file !== undefined ? { file: f.file } : {}),
    ...(f.line !== undefined ? { line: f.line } : {}),
    ...(exceptionId !== undefined ? { exceptionId } : {}),
  };
}

function findingKey(f: AuditFinding): string {
  return `${f.ruleId}\u0000${f.object}\u0000${f.path}`;
}

/**
 * Pairs `xs` with `ys` by rule, object and path: first those with the same message, then the rest
 * in order. Returns what is left of each and the pairs.
 */
function pairFindings(xs: readonly AuditFinding[], ys: readonly AuditFinding[]):
{ readonly left: AuditFinding[]; readonly right: AuditFinding[]; readonly pairs: [AuditFinding, AuditFinding][] } {
  const byKey = new Map<string, AuditFinding[]>();
  for (const y of ys) byKey.set(findingKey(y), [...(byKey.get(findingKey(y)) ?? []), y]);
  const pairs: [AuditFinding, AuditFinding][] = [];
  const unmatched: AuditFinding[] = [];
  for (const x of xs) {
    const candidates = byKey.get(findingKey(x)) ?? [];
    const i = candidates.findIndex((y) => y.message === x.message);
    if (i >= 0) pairs.push([x, candidates.splice(i, 1)[0]]);
    else unmatched.push(x);
  }
  const left: AuditFinding[] = [];
  for (const x of unmatched) {
    const candidates = byKey.get(findingKey(x)) ?? [];
    if (candidates.length > 0) pairs.push([x, candidates.shift()!]);
    else left.push(x);
  }
  return { left, right: [...byKey.values()].flat(), pairs };
}

function diffFindings(base: AuditResult, head: AuditResult): SecurityDiff['findings'] {
  const counting = (r: AuditResult) => r.findings.filter((f) => !f.excepted);
  const excepted = (r: AuditResult) => r.findings.filter((f) => f.excepted);
  const same = pairFindings(counting(base), counting(head));
  // A finding that counts in HEAD and was excepted in BASE lost its exception.
  const lost = pairFindings(same.right, excepted(base));
  const fresh = [
    ...lost.left.map((f) => diffFinding(f)),
    ...lost.pairs.map(([f, was]) => diffFinding(f, was.exception?.id)),
  ];
  // A finding that counted in BASE and is excepted in HEAD is not fixed: an exception covers it.
  const covered = pairFindings(same.left, excepted(head));
  return {
    new: fresh.sort(findingOrder),
    fixed: covered.left.map((f) => diffFinding(f)).sort(findingOrder),
    excepted: covered.pairs.map(([, now]) => diffFinding(now, now.exception?.id)).sort(findingOrder),
  };
}

function findingOrder(a: DiffFinding, b: DiffFinding): number {
  return cmp(a.ruleId, b.ruleId) || cmp(a.object, b.object) || cmp(a.path, b.path) || cmp(a.message, b.message);
}

function verdictOf(c: SecurityDiffCounts, changedEdges: readonly EdgeChange[], changedExceptions: readonly ExceptionChange[]): SecurityDiffVerdict {
  const widensAccess = c.edgesAdded > 0 || c.edgesWidened > 0;
  const narrowsAccess = c.edgesRemoved > 0 || changedEdges.some((e) => e.narrowed.length > 0);
  const widensExceptions = c.exceptionsAdded > 0 || c.exceptionsWidened > 0;
  const newFindings = c.findingsNew > 0;
  const changed = [c.edgesAdded, c.edgesRemoved, c.edgesWidened, c.edgesChanged, c.exceptionsAdded, c.exceptionsRemoved,
    c.exceptionsWidened, c.exceptionsChanged, c.findingsNew, c.findingsFixed, c.findingsExcepted].some((n) => n > 0);
  const parts: string[] = [];
  if (widensAccess) parts.push('widens access');
  if (narrowsAccess) parts.push('narrows access');
  if (widensExceptions) parts.push('adds or widens exceptions');
  if (c.exceptionsRemoved > 0) parts.push('removes exceptions');
  if (changedExceptions.some((x) => x.narrowed.length > 0)) parts.push('narrows exceptions');
  if (newFindings) parts.push('adds findings');
  if (c.findingsFixed > 0) parts.push('fixes findings');
  const summary = !changed ? 'no change to security' : parts.length > 0 ? parts.join(', ') : 'changes security details (no access widened)';
  return { changed, widensAccess, narrowsAccess, widensExceptions, newFindings, summary };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
