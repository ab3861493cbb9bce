import { EntryVerdict, ExceptionProblem, ExceptionRecordInfo, reviewExceptions } from './exception-acceptance';
import { readRegistries } from './exception-registry-reader';
import { guardrailProblems } from './guardrail-integrity';
import { LoadedManifest } from './manifest-loader';
import type { SecureMeshConfig } from '../config/secure-mesh-config';
import { daysBetween, isCalendarDate } from '../policy/calendar';
import { DEFAULT_MAX_EXCEPTION_DAYS, MAX_EXCEPTION_DAYS_LIMIT, RECORDS_KEY, REGISTRY_LABEL, REGISTRY_LABEL_VALUE, REGISTRY_NAME } from '../policy/exception-registry-format';
import { EXCEPTION_ANNOTATION } from '../policy/policy-enforcement';
import { EXPIRY_WARNING_DAYS } from '../policy/policy-exception';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, checkEach, kindKeyOf, objectRef } from '../policy/rule';
import { ALL_RULES, rulesFor } from '../policy/rule-pack';
import { ruleContext } from '../policy/rule-test-kit';
import { validateObjects } from '../validation/manifest-validator';

export type { ExceptionRecordInfo } from './exception-acceptance';

/**
 * What the audit reports besides the rule set's own rules: the exception annotations and
 * registries themselves (EXC-1). Same shape as a rule, without checks, so reporters describe them alike.
 */
export interface AuditRuleDescriptor {
  readonly id: string;
  readonly practices: readonly string[];
  readonly severity: RuleSeverity;
  readonly title: string;
  readonly explanation: string;
  readonly fix: string;
}

/** An exception whose date has passed (an annotation entry, or a registry record): it no longer covers anything. */
export const EXC_EXPIRED: AuditRuleDescriptor = {
  id: 'EXC-EXPIRED',
  practices: ['EXC-1'],
  severity: RuleSeverity.ERROR,
  title: 'Policy exceptions recorded on objects and in registries have not expired',
  explanation: `An object's ${EXCEPTION_ANNOTATION} annotation, or a record of an exception registry, lists a rule with an expiry `
    + 'date in the past. Exceptions are temporary by design: after the date the rule applies again, and the object is audited as '
    + 'if the entry were absent.',
  fix: 'Fix what the exception relaxed and remove the entry and its record, or renew the PolicyException (new justification and '
    + 'date) and re-synthesize so the annotation and the registry carry the new date.',
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
 * An exception annotation entry the exception registry does not back: anyone can write an
 * annotation, only a reviewed registry record makes it an exception.
 */
export const EXC_UNREGISTERED: AuditRuleDescriptor = {
  id: 'EXC-UNREGISTERED',
  practices: ['EXC-1'],
  severity: RuleSeverity.ERROR,
  title: 'Policy exception annotations are backed by the exception registry of the object\'s namespace',
  explanation: `An entry RULE@YYYY-MM-DD of the ${EXCEPTION_ANNOTATION} annotation counts only when the registry of the object's `
    + `namespace (ConfigMap ${REGISTRY_NAME}; for cluster-scoped objects the mesh-wide one in the control-plane namespace) lists `
    + `the same stamp under the object's key Kind.name and a record of its ${RECORDS_KEY} names the rule, the expiry and the object, `
    + 'with owner and justification. A hand-written annotation without that record is a self-granted exception: it covers '
    + 'nothing, and the findings it would hide are reported.',
  fix: 'Declare a PolicyException (rules, justification, owner, expiry) and re-synthesize, so the annotation and the registry '
    + `of the namespace are written together and reviewed; or remove the ${EXCEPTION_ANNOTATION} entry. Audit the registry `
    + 'together with the objects it covers.',
};

/**
 * An exception registry that is malformed, disagrees with itself, lists objects of another
 * namespace, or records an exception the audit refuses (longer than allowed, spanning namespaces
 * without a reason).
 */
export const EXC_REGISTRY: AuditRuleDescriptor = {
  id: 'EXC-REGISTRY',
  practices: ['EXC-1'],
  severity: RuleSeverity.ERROR,
  title: 'Exception registries are well-formed, consistent, confined to their namespace and short-lived',
  explanation: `An exception registry (ConfigMap ${REGISTRY_NAME}) holds admission keys Kind.name -> RULE@YYYY-MM-DD,... and the `
    + `records of ${RECORDS_KEY} (id, rules, owner, justification, expires, objects). Keys and records must agree both ways, `
    + 'or admission and review see different exceptions. A registry covers only the objects of its own namespace (the mesh-wide '
    + 'one in the control-plane namespace also covers cluster-scoped objects): a repository writes only its own namespace\'s '
    + `registry. A record may run at most the longest lifetime (${DEFAULT_MAX_EXCEPTION_DAYS} days by default) from today, and an `
    + 'exception whose records sit in several namespaces needs a meshWideReason. A refused record covers nothing.',
  fix: 'Regenerate the registry by synthesizing the PolicyExceptions rather than editing it by hand; shorten the expiry and '
    + 'renew later; move objects of another namespace to that namespace\'s registry; give a mesh-wide exception its '
    + 'meshWideReason.',
};

/** A registry record entry that no annotated object of the input stands for. */
export const EXC_UNKNOWN: AuditRuleDescriptor = {
  id: 'EXC-UNKNOWN',
  practices: ['EXC-1'],
  severity: RuleSeverity.WARNING,
  title: 'Exception registry records list objects that exist and carry the exception',
  explanation: `A record of an exception registry lists an object that is not in the audited input, or whose ${EXCEPTION_ANNOTATION} `
    + 'annotation lacks the record\'s RULE@YYYY-MM-DD: the object was probably renamed or removed, or the exception is no '
    + 'longer needed. A dangling entry would silently cover an object created later under the same name.',
  fix: 'Remove the object from the record (or the record, when it lists nothing else) by removing it from the PolicyException '
    + 'and re-synthesizing; audit the registry together with all the objects of its namespace.',
};

/** An exception registry without its label. */
export const EXC_UNLABELLED: AuditRuleDescriptor = {
  id: 'EXC-UNLABELLED',
  practices: ['EXC-1'],
  severity: RuleSeverity.WARNING,
  title: 'Exception registries carry the registry label',
  explanation: `A ConfigMap ${REGISTRY_NAME} is read as the namespace's exception registry, but tools that select registries by `
    + `label (${REGISTRY_LABEL}: ${REGISTRY_LABEL_VALUE}) do not see it.`,
  fix: `Add the label ${REGISTRY_LABEL}: ${REGISTRY_LABEL_VALUE}, or regenerate the registry by synthesis.`,
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

/**
 * The admission guardrails in the input differ from what AdmissionGuardrails writes: Kubernetes
 * exempts admission policies and their bindings from admission, so only the audit (of exported
 * cluster state, or of the files applied) sees one that was weakened or deleted.
 */
export const ADMISSION_GUARDRAIL: AuditRuleDescriptor = {
  id: 'ADMISSION-GUARDRAIL',
  practices: ['OPS-1', 'EXC-1'],
  severity: RuleSeverity.ERROR,
  title: 'The admission guardrails are as AdmissionGuardrails writes them (none weakened or deleted)',
  explanation: 'ValidatingAdmissionPolicies and their bindings are exempt from admission: whoever can write them can make a policy '
    + 'admit everything (an expression of "true", failurePolicy Ignore), move a binding to Warn, let a missing registry admit, or '
    + 'delete a policy, and the cluster stops refusing what synthesis refuses. Checked when the input holds secure-mesh-* guardrails.',
  fix: 'Re-apply the guardrails from the synthesized output (the pipeline that owns them), find out who changed them (the API '
    + 'server\'s audit log), and keep admissionregistration.k8s.io writes to mesh admins (RBAC-ADMISSION-001). A rollout in progress '
    + 'is AdmissionRollout.warnUntil, recorded on the bindings.',
};

/** Every rule an audit can report: the rule set, then the exception, guardrail and manifest checks. */
export const AUDIT_RULES: readonly AuditRuleDescriptor[] = [
  ...ALL_RULES, EXC_EXPIRED, EXC_INVALID, EXC_UNREGISTERED, EXC_REGISTRY, EXC_UNKNOWN, EXC_UNLABELLED, ADMISSION_GUARDRAIL, MANIFEST_INVALID,
];

/**
 * The audit options the reviewed mesh settings decide (secure-mesh.yaml): namespaces, the groups
 * trusted with cluster-wide roles, registries, proxy repositories, the rule set, the longest
 * exception lifetime and, in an app team's repository, the namespaces it owns. The CLI, the
 * validation plugin and the diff all audit with these, so one file means the same checks
 * everywhere; the exception lifetime never comes from a flag.
 */
export function auditSettingsOf(config: SecureMeshConfig): AuditOptions {
  return {
    rootNamespace: config.rootNamespace,
    controlPlaneNamespace: config.controlPlaneNamespace,
    meshAdminGroups: config.meshAdminGroups,
    operatorGroups: config.operatorGroups,
    allowedRegistries: config.allowedRegistries,
    proxyImageRepositories: config.proxyImageRepositories,
    ruleSet: config.ruleSet,
    maxExceptionDays: config.maxExceptionDays,
    appNamespaces: config.appNamespaces,
  };
}

/** Options of {@link auditManifests}. */
export interface AuditOptions {
  /**
   * Today (`YYYY-MM-DD`) for exception expiry. Tests only: the CLI and plugin always use the
   * system clock, so a CI run cannot move it.
   * @default - the system clock (UTC)
   */
  readonly today?: string;
  /**
   * The longest lifetime of an exception, in days from today: a registry record expiring later is
   * refused (EXC-REGISTRY) and covers nothing. At most MAX_EXCEPTION_DAYS_LIMIT.
   * @default DEFAULT_MAX_EXCEPTION_DAYS
   */
  readonly maxExceptionDays?: number;
  /** The mesh root namespace. @default 'istio-system' */
  readonly rootNamespace?: string;
  /**
   * The namespace istiod runs in; its exception registry is the mesh-wide one, which also
   * registers the exceptions of cluster-scoped objects. @default - the root namespace
   */
  readonly controlPlaneNamespace?: string;
  /** Groups of mesh administrators (may hold ClusterRoleBindings and read CA secrets). @default [] */
  readonly meshAdminGroups?: readonly string[];
  /** Other operator groups that may hold ClusterRoleBindings. @default [] */
  readonly operatorGroups?: readonly string[];
  /** Registries images may come from (IMG-REG-001). @default [] - any */
  readonly allowedRegistries?: readonly string[];
  /** The repositories the injected proxy comes from (the guardrails compared). @default - Istio's official hubs */
  readonly proxyImageRepositories?: readonly string[];
  /**
   * The namespaces the audited repository owns, when it is an app team's repository applied by a
   * namespace-scoped sync (RepoSync, AppProject): REPO-SCOPE-001 reports objects outside them or
   * cluster-scoped. Leave it out when auditing several repositories' outputs together.
   * @default [] - not an app repository, no boundary
   */
  readonly appNamespaces?: readonly string[];
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
  /** Whether an accepted exception (annotation entry backed by the registry) covers the finding. */
  readonly excepted: boolean;
  /** Last valid day of the covering exception. */
  readonly exceptionExpires?: string;
  /** The registry record of the covering exception: id, owner, justification, expiry, registry. */
  readonly exception?: ExceptionRecordInfo;
}

/**
 * One exception: an entry of an object's exception annotation, or a registry record's (object,
 * rule) that no annotation entry of the input stands for.
 */
export interface AuditException {
  readonly object: string;
  readonly ruleId: string;
  /** The entry's date (`YYYY-MM-DD`), or the raw entry when invalid. */
  readonly expires: string;
  /**
   * Of an annotation entry: `valid` (accepted), `expiring` (accepted, within 14 days of expiry),
   * `stale` (accepted, covers no finding), `expired`, `invalid` (malformed), `unregistered` (no
   * matching registry key and record) or `refused` (its record is refused, see `problem`). Of a
   * record entry without annotation entry: `unknown` (object absent or not annotated) or `expired`.
   */
  readonly status: 'valid' | 'expiring' | 'expired' | 'stale' | 'invalid' | 'unregistered' | 'refused' | 'unknown';
  /** Findings it covers. */
  readonly covered: number;
  /** Where it is written: the object's file and line (for a record entry: the registry's). */
  readonly file: string;
  readonly line: number;
  /** The record's id, owner and justification, and the registry (`namespace/name`), when a record matched. */
  readonly exceptionId?: string;
  readonly owner?: string;
  readonly justification?: string;
  readonly registry?: string;
  /** Why the entry is not accepted (unregistered, refused, unknown). */
  readonly problem?: string;
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
 * Exceptions: an entry `RULE@YYYY-MM-DD` of an object's `secure-mesh.cdk8s.io/exceptions`
 * annotation (written by synthesis for every PolicyException) covers that rule on that object
 * until the date, inclusive, only when the exception registry of the object's namespace in the
 * same input backs it (see exception-acceptance.ts): its admission key `Kind.name` lists the
 * stamp and a sound record names rule, expiry and object, with owner and justification. The
 * finding is then kept, marked `excepted` with the record. An entry without that backing covers
 * nothing and is itself an error (`EXC-UNREGISTERED`); an expired one is `EXC-EXPIRED`, a
 * malformed one `EXC-INVALID`. The registries are audited too (`EXC-REGISTRY`, `EXC-EXPIRED`,
 * `EXC-UNKNOWN`, `EXC-UNLABELLED`). The audit does not narrow an exception to its record's ports:
 * it covers the rule on the whole object.
 */
export function auditManifests(manifests: readonly LoadedManifest[], options: AuditOptions = {}): AuditResult {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const maxExceptionDays = options.maxExceptionDays ?? DEFAULT_MAX_EXCEPTION_DAYS;
  if (!Number.isInteger(maxExceptionDays) || maxExceptionDays < 1 || maxExceptionDays > MAX_EXCEPTION_DAYS_LIMIT) {
    throw new Error(`maxExceptionDays must be a whole number of days from 1 to ${MAX_EXCEPTION_DAYS_LIMIT}, not ${maxExceptionDays}`);
  }
  const context: RuleContext = ruleContext(manifests.map((m) => m.object), {
    rootNamespace: options.rootNamespace,
    controlPlaneNamespace: options.controlPlaneNamespace,
    meshAdminGroups: options.meshAdminGroups ? [...options.meshAdminGroups].sort() : undefined,
    operatorGroups: options.operatorGroups ? [...options.operatorGroups].sort() : undefined,
    allowedRegistries: options.allowedRegistries,
    proxyImageRepositories: options.proxyImageRepositories,
    appNamespaces: options.appNamespaces,
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
  const review = reviewExceptions({
    manifests,
    entries,
    reading: readRegistries(manifests, new Set(ALL_RULES.map((r) => r.id))),
    today,
    maxExceptionDays,
    controlPlaneNamespace: context.controlPlaneNamespace,
  });
  const verdict = (e: ExceptionEntry): EntryVerdict => review.verdicts.get(e) ?? { status: 'invalid' };
  const coverCount = new Map<ExceptionEntry, number>();
  const findings: AuditFinding[] = raw.map(({ rule, object, violation }) => {
    const where = object ? byObject.get(object) : anchor;
    const cover = object ? entries.get(object)?.find((e) => e.ruleId === rule.id && verdict(e).status === 'accepted') : undefined;
    if (cover) coverCount.set(cover, (coverCount.get(cover) ?? 0) + 1);
    const accepted = cover ? verdict(cover) : undefined;
    return finding(rule, objectRef(object), violation.path, violation.message, where, accepted?.status === 'accepted' ? accepted.record : undefined);
  });

  const exceptions: AuditException[] = [];
  const path = `metadata.annotations.${EXCEPTION_ANNOTATION}`;
  for (const m of manifests) {
    const ref = objectRef(m.object);
    for (const e of entries.get(m.object) ?? []) {
      const v = verdict(e);
      let status: AuditException['status'];
      let problem: string | undefined;
      const owned = 'record' in v && v.record ? ` (exception "${v.record.id}", owner ${v.record.owner})` : '';
      if (v.status === 'invalid') {
        status = 'invalid';
        findings.push(finding(EXC_INVALID, ref, path, invalidMessage(e), m));
      } else if (v.status === 'expired') {
        status = 'expired';
        findings.push(finding(EXC_EXPIRED, ref, path,
          `the exception for ${e.ruleId} on ${ref} expired on ${e.expires}${owned} (today is ${today}); it no longer covers the object`, m));
      } else if (v.status === 'unregistered') {
        status = 'unregistered';
        problem = v.problem;
        findings.push(finding(EXC_UNREGISTERED, ref, path,
          `exception entry "${e.raw}" is not in the exception registry: ${v.problem}; it covers nothing, and ${e.ruleId} applies to ${ref}`, m));
      } else if (v.status === 'refused') {
        // The registry finding (EXC-REGISTRY) says why; the entry covers nothing.
        status = 'refused';
        problem = v.problem;
      } else {
        status = !coverCount.has(e) ? 'stale' : daysBetween(today, e.expires) <= EXPIRY_WARNING_DAYS ? 'expiring' : 'valid';
      }
      const record = 'record' in v ? v.record : undefined;
      exceptions.push({
        object: ref,
        ruleId: e.ruleId,
        expires: e.valid ? e.expires : e.raw,
        status,
        covered: coverCount.get(e) ?? 0,
        file: m.file,
        line: m.line,
        ...(record ? recordFields(record) : {}),
        ...(problem ? { problem } : {}),
      });
    }
  }
  for (const r of review.recordEntries) {
    exceptions.push({
      object: r.object,
      ruleId: r.ruleId,
      expires: r.expires,
      status: r.status,
      covered: 0,
      file: r.record.file,
      line: r.record.line,
      ...recordFields(r.record),
      problem: r.problem,
    });
  }
  const problemRule: { [kind in ExceptionProblem['kind']]: AuditRuleDescriptor } = {
    registry: EXC_REGISTRY, expired: EXC_EXPIRED, unknown: EXC_UNKNOWN, unlabelled: EXC_UNLABELLED,
  };
  for (const p of review.problems) findings.push(finding(problemRule[p.kind], p.object, p.path, p.message, p.manifest));
  for (const p of guardrailProblems(context, { rules, today, maxExceptionDays })) {
    findings.push(finding(ADMISSION_GUARDRAIL, objectRef(p.object), p.path, p.message, byObject.get(p.object)));
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
    || cmp(a.ruleId, b.ruleId) || cmp(a.expires, b.expires) || cmp(a.status, b.status));
  return {
    findings,
    exceptions,
    summary: summarize(findings, manifests.length),
    today,
    meshBaselineExpected,
  };
}

function recordFields(r: ExceptionRecordInfo): Pick<AuditException, 'exceptionId' | 'owner' | 'justification' | 'registry'> {
  return { exceptionId: r.id, owner: r.owner, justification: r.justification, registry: r.registry };
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
  rule: AuditRuleDescriptor, object: string, path: string, message: string, where: LoadedManifest | undefined, exception?: ExceptionRecordInfo,
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
    excepted: exception !== undefined,
    ...(exception !== undefined ? { exceptionExpires: exception.expires, exception } : {}),
  };
}

/** The entries of an object's exception annotation. */
export function exceptionEntries(object: RuleObject): ExceptionEntry[] {
  const value = object.metadata?.annotations?.[EXCEPTION_ANNOTATION];
  if (typeof value !== 'string') return [];
  const known = new Set(ALL_RULES.map((r) => r.id));
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '').map((raw) => {
    const m = /^([A-Z0-9-]+)@(\d{4}-\d{2}-\d{2})$/.exec(raw);
    const valid = !!m && known.has(m[1]) && isCalendarDate(m[2]);
    return { raw, ruleId: m?.[1] ?? raw, expires: m?.[2] ?? '', valid };
  });
}

function invalidMessage(e: ExceptionEntry): string {
  if (!e.expires) return `exception entry "${e.raw}" is not RULE@YYYY-MM-DD`;
  if (!isCalendarDate(e.expires)) return `exception entry "${e.raw}": ${e.expires} is not a date`;
  return `exception entry "${e.raw}": ${e.ruleId} is not a rule of the set`;
}

function inNamespace(o: RuleObject, ns: string): boolean {
  return o.metadata?.namespace === ns || (o.kind === 'Namespace' && o.metadata?.name === ns);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
