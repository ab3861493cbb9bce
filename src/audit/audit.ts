import { LoadedManifest } from './manifest-loader';
import { EXCEPTION_ANNOTATION } from '../policy/policy-enforcement';
import { EXPIRY_WARNING_DAYS } from '../policy/policy-exception';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, checkEach, kindKeyOf, objectRef } from '../policy/rule';
import { ALL_RULES, rulesFor } from '../policy/rule-pack';
import { ruleContext } from '../policy/rule-test-kit';
import { validateObjects } from '../validation/manifest-validator';

/**
 * What the audit reports besides the rule set's own rules: the exception annotations themselves
 * (EXC-1). Same shape as a rule, without checks, so reporters describe them alike.
 */
export interface AuditRuleDescriptor {
  readonly id: string;
  readonly practices: readonly string[];
  readonly severity: RuleSeverity;
  readonly title: string;
  readonly explanation: string;
  readonly fix: string;
}

/** An exception annotation entry whose date has passed: it no longer covers anything. */
export const EXC_EXPIRED: AuditRuleDescriptor = {
  id: 'EXC-EXPIRED',
  practices: ['EXC-1'],
  severity: RuleSeverity.ERROR,
  title: 'Policy exceptions recorded on objects have not expired',
  explanation: `An object's ${EXCEPTION_ANNOTATION} annotation lists a rule with an expiry date in the past. Exceptions are `
    + 'temporary by design: after the date the rule applies again, and the object is audited as if the entry were absent.',
  fix: 'Fix what the exception relaxed and remove the entry, or renew the PolicyException (new justification and date) and '
    + 're-synthesize so the annotation carries the new date.',
};

/** An exception annotation entry that is not `RULE@YYYY-MM-DD` with a known rule id. */
export const EXC_INVALID: AuditRuleDescriptor = {
  id: 'EXC-INVALID',
  practices: ['EXC-1'],
  severity: RuleSeverity.ERROR,
  title: 'Policy exception annotations name known rules and real dates',
  explanation: `Each entry of the ${EXCEPTION_ANNOTATION} annotation must be RULE@YYYY-MM-DD, with a rule id of the rule set. `
    + 'A malformed entry or unknown id covers nothing and usually hides a typo.',
  fix: 'Write the entry as RULE@YYYY-MM-DD (e.g. MESH-EXC-001@2026-03-31), with the id of a rule of the set, or remove it.',
};

/**
 * An object the cluster would refuse (schema with strict fields, CRD CEL rules, API server name
 * rules, istiod's webhook: the validation harness). A wrong-shaped field (`containers: {}`,
 * `verbs: "*"`) is not silently skipped by the rules that cannot read it: it is this finding.
 */
export const MANIFEST_INVALID: AuditRuleDescriptor = {
  id: 'MANIFEST-INVALID',
  practices: ['OPS-1'],
  severity: RuleSeverity.ERROR,
  title: 'Objects are what the cluster accepts (schema, CEL rules, names, istiod\'s webhook)',
  explanation: 'A field of the wrong type or an unknown field is refused when applied, and until then the security rules cannot '
    + 'read it: a `containers: {}` or `verbs: "*"` would otherwise pass the audit unseen. The checks are the API server\'s '
    + 'OpenAPI schema with strict field validation, the CRDs\' CEL rules and istiod\'s validating webhook, for the built-in '
    + 'Kubernetes kinds and the pinned Istio CRDs; objects of other kinds are not validated.',
  fix: 'Fix the field as the message says (the manifest would not apply), or regenerate it with the library. A PolicyException '
    + 'cannot cover it: the cluster refuses the object whatever the rules say.',
};

/** Every rule an audit can report: the rule set, then the exception and manifest checks. */
export const AUDIT_RULES: readonly AuditRuleDescriptor[] = [...ALL_RULES, EXC_EXPIRED, EXC_INVALID, MANIFEST_INVALID];

/** Options of {@link auditManifests}. */
export interface AuditOptions {
  /** Today (`YYYY-MM-DD`) for exception expiry. @default - the system clock (UTC) */
  readonly today?: string;
  /** The mesh root namespace. @default 'istio-system' */
  readonly rootNamespace?: string;
  /** The namespace istiod runs in. @default - the root namespace */
  readonly controlPlaneNamespace?: string;
  /** Groups of mesh administrators (may hold ClusterRoleBindings and read CA secrets). @default [] */
  readonly meshAdminGroups?: readonly string[];
  /** Other operator groups that may hold ClusterRoleBindings. @default [] */
  readonly operatorGroups?: readonly string[];
  /** Registries images may come from (IMG-REG-001). @default [] - any */
  readonly allowedRegistries?: readonly string[];
  /**
   * Whether the manifests are expected to hold the mesh baseline, so rules about mesh-wide
   * objects that are absent (mesh-wide STRICT mTLS, mesh-wide allow-nothing) report `<mesh>`.
   * @default - true when any object lives in (or is) the root namespace, as when auditing what
   * a mesh's baseline was synthesized into; false for a team's namespace alone
   */
  readonly expectMeshBaseline?: boolean;
  /**
   * The rule set the manifests were written against: rules added in later sets report as warnings.
   * @default - the latest rule set
   */
  readonly ruleSet?: string;
  /**
   * Whether to validate the objects as a cluster would (MANIFEST-INVALID findings): kinds the
   * harness knows (built-in Kubernetes kinds, the pinned Istio CRDs); others are skipped.
   * @default true
   */
  readonly validateManifests?: boolean;
  /** Called while auditing: rules run so far and the number of rules. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One rule violation, where it is and whether an exception covers it. */
export interface AuditFinding {
  readonly ruleId: string;
  readonly practices: string[];
  /** `error` or `warning`. */
  readonly severity: RuleSeverity;
  readonly message: string;
  readonly fix: string;
  /** `Kind/namespace/name`, or `<mesh>` for a missing mesh-wide object. */
  readonly object: string;
  /** JSON path in the object (empty for the object as a whole). */
  readonly path: string;
  /** File of the object (for `<mesh>`: of the first root-namespace object), when known. */
  readonly file?: string;
  /** 1-based line of the object in the file, when known. */
  readonly line?: number;
  /** Whether a valid exception annotation on the object covers the finding. */
  readonly excepted: boolean;
  /** Last valid day of the covering exception. */
  readonly exceptionExpires?: string;
}

/** One entry of an object's exception annotation. */
export interface AuditException {
  readonly object: string;
  readonly ruleId: string;
  /** The entry's date (`YYYY-MM-DD`), or the raw entry when invalid. */
  readonly expires: string;
  /** `valid`, `expiring` (within 14 days), `expired`, `stale` (covers no finding) or `invalid`. */
  readonly status: 'valid' | 'expiring' | 'expired' | 'stale' | 'invalid';
  /** Findings it covers. */
  readonly covered: number;
  readonly file: string;
  readonly line: number;
}

/** Counts over the findings: excepted ones are not errors or warnings. */
export interface AuditSummary {
  readonly objects: number;
  readonly errors: number;
  readonly warnings: number;
  readonly excepted: number;
}

/** What the audit found. */
export interface AuditResult {
  /** Findings, sorted by file, line, rule, path and message. */
  readonly findings: AuditFinding[];
  /** Exception annotation entries, sorted. */
  readonly exceptions: AuditException[];
  readonly summary: AuditSummary;
  /** The date exceptions were checked against. */
  readonly today: string;
  /** Whether presence rules about the mesh baseline were applied. */
  readonly meshBaselineExpected: boolean;
}

/** One parsed entry of an exception annotation. */
export interface ExceptionEntry {
  readonly ruleId: string;
  readonly expires: string;
  readonly valid: boolean;
  readonly raw: string;
}

/**
 * Audits manifests from any source (OPS-1, EXC-1) with the rule set synthesis enforces,
 * `ALL_RULES`, the same definitions: `check` on every object, `checkAll` once over all of them.
 *
 * Exceptions come from the objects themselves: the `secure-mesh.cdk8s.io/exceptions` annotation
 * (`RULE@YYYY-MM-DD,...`, written by synthesis for every PolicyException) covers that rule on
 * that object until the date, inclusive; the finding is kept and marked `excepted`. An expired
 * entry covers nothing and is itself an error (`EXC-EXPIRED`); a malformed one is `EXC-INVALID`.
 * The annotation cannot express a PolicyException's port scope: it covers the whole object.
 */
export function auditManifests(manifests: readonly LoadedManifest[], options: AuditOptions = {}): AuditResult {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const context: RuleContext = ruleContext(manifests.map((m) => m.object), {
    rootNamespace: options.rootNamespace,
    controlPlaneNamespace: options.controlPlaneNamespace,
    meshAdminGroups: options.meshAdminGroups ? [...options.meshAdminGroups].sort() : undefined,
    operatorGroups: options.operatorGroups ? [...options.operatorGroups].sort() : undefined,
    allowedRegistries: options.allowedRegistries,
  });
  const byObject = new Map<RuleObject, LoadedManifest>(manifests.map((m) => [m.object, m]));
  const inRoot = manifests.filter((m) => inNamespace(m.object, context.rootNamespace));
  const meshBaselineExpected = options.expectMeshBaseline ?? inRoot.length > 0;
  const anchor = inRoot[0] ?? manifests[0];

  const raw: { rule: PolicyRule; object: RuleObject | undefined; violation: RuleViolation }[] = [];
  const objects = manifests.map((m) => m.object);
  const keys = objects.map(kindKeyOf);
  const rules = rulesFor(options.ruleSet);
  rules.forEach((rule, done) => {
    for (const { index, violation } of checkEach([rule], objects, context, keys)) raw.push({ rule, object: objects[index], violation });
    for (const { object, violation } of rule.checkAll?.(context) ?? []) {
      if (!object && !meshBaselineExpected) continue;
      raw.push({ rule, object, violation });
    }
    options.onProgress?.(done + 1, rules.length);
  });

  const entries = new Map<RuleObject, ExceptionEntry[]>(manifests.map((m) => [m.object, exceptionEntries(m.object)]));
  const coverCount = new Map<ExceptionEntry, number>();
  const findings: AuditFinding[] = raw.map(({ rule, object, violation }) => {
    const where = object ? byObject.get(object) : anchor;
    const cover = object ? entries.get(object)?.find((e) => e.valid && e.ruleId === rule.id && e.expires >= today) : undefined;
    if (cover) coverCount.set(cover, (coverCount.get(cover) ?? 0) + 1);
    return finding(rule, objectRef(object), violation.path, violation.message, where, cover?.expires);
  });

  const exceptions: AuditException[] = [];
  for (const m of manifests) {
    const ref = objectRef(m.object);
    for (const e of entries.get(m.object) ?? []) {
      const path = `metadata.annotations.${EXCEPTION_ANNOTATION}`;
      let status: AuditException['status'];
      if (!e.valid) {
        status = 'invalid';
        findings.push(finding(EXC_INVALID, ref, path, invalidMessage(e), m));
      } else if (e.expires < today) {
        status = 'expired';
        findings.push(finding(EXC_EXPIRED, ref, path,
          `the exception for ${e.ruleId} on ${ref} expired on ${e.expires} (today is ${today}); it no longer covers the object`, m));
      } else {
        status = !coverCount.has(e) ? 'stale' : daysBetween(today, e.expires) <= EXPIRY_WARNING_DAYS ? 'expiring' : 'valid';
      }
      exceptions.push({
        object: ref, ruleId: e.ruleId, expires: e.valid ? e.expires : e.raw, status, covered: coverCount.get(e) ?? 0, file: m.file, line: m.line,
      });
    }
  }

  if (options.validateManifests !== false) {
    for (const v of validateObjects(objects)) {
      // Kinds outside the harness (other CRDs) are not judged: that is not the object's fault.
      if (v.rule === 'served kind') continue;
      const m = manifests[v.documentIndex];
      findings.push(finding(MANIFEST_INVALID, objectRef(m.object), v.path, `${v.message} [${v.layer}: ${v.rule}]`, m));
    }
  }

  findings.sort(compareFindings);
  exceptions.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || cmp(a.object, b.object)
    || cmp(a.ruleId, b.ruleId) || cmp(a.expires, b.expires));
  return {
    findings,
    exceptions,
    summary: summarize(findings, manifests.length),
    today,
    meshBaselineExpected,
  };
}

/** Whether a finding fails a run with `--fail-on failOn` (`error`, `warning` or `none`). */
export function isFailing(f: AuditFinding, failOn: string): boolean {
  if (f.excepted || failOn === 'none') return false;
  return f.severity === RuleSeverity.ERROR || failOn === 'warning';
}

/** The counts of a set of findings. */
export function summarize(findings: readonly AuditFinding[], objects: number): AuditSummary {
  return {
    objects,
    errors: findings.filter((f) => !f.excepted && f.severity === RuleSeverity.ERROR).length,
    warnings: findings.filter((f) => !f.excepted && f.severity === RuleSeverity.WARNING).length,
    excepted: findings.filter((f) => f.excepted).length,
  };
}

/** Sort order of findings: file, line, rule, object, path, message (findings without a file last). */
export function compareFindings(a: AuditFinding, b: AuditFinding): number {
  return cmp(a.file ?? '\uffff', b.file ?? '\uffff') || (a.line ?? 0) - (b.line ?? 0) || cmp(a.ruleId, b.ruleId)
    || cmp(a.object, b.object) || cmp(a.path, b.path) || cmp(a.message, b.message);
}

function finding(
  rule: AuditRuleDescriptor, object: string, path: string, message: string, where: LoadedManifest | undefined, exceptionExpires?: string,
): AuditFinding {
  return {
    ruleId: rule.id,
    practices: [...rule.practices],
    severity: rule.severity,
    message,
    fix: rule.fix,
    object,
    path,
    ...(where ? { file: where.file, line: where.line } : {}),
    excepted: exceptionExpires !== undefined,
    ...(exceptionExpires !== undefined ? { exceptionExpires } : {}),
  };
}

/** The entries of an object's exception annotation. */
export function exceptionEntries(object: RuleObject): ExceptionEntry[] {
  const value = object.metadata?.annotations?.[EXCEPTION_ANNOTATION];
  if (typeof value !== 'string') return [];
  const known = new Set(ALL_RULES.map((r) => r.id));
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '').map((raw) => {
    const m = /^([A-Z0-9-]+)@(\d{4}-\d{2}-\d{2})$/.exec(raw);
    const valid = !!m && known.has(m[1]) && isDate(m[2]);
    return { raw, ruleId: m?.[1] ?? raw, expires: m?.[2] ?? '', valid };
  });
}

function invalidMessage(e: ExceptionEntry): string {
  if (!e.expires) return `exception entry "${e.raw}" is not RULE@YYYY-MM-DD`;
  if (!isDate(e.expires)) return `exception entry "${e.raw}": ${e.expires} is not a date`;
  return `exception entry "${e.raw}": ${e.ruleId} is not a rule of the set`;
}

function isDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function inNamespace(o: RuleObject, ns: string): boolean {
  return o.metadata?.namespace === ns || (o.kind === 'Namespace' && o.metadata?.name === ns);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
