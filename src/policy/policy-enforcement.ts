import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { writeConstructPaths } from './construct-paths';
import { ENFORCEMENT_ID } from './enforcement-id';
import { DEFAULT_MAX_EXCEPTION_DAYS, MAX_EXCEPTION_DAYS_LIMIT } from './exception-registry-format';
import { CLOCK_CONTEXT_KEY, EXPIRY_WARNING_DAYS, PolicyException, namespaceOfRef } from './policy-exception';
import { HandOffBatch } from './render-handoff';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, checkEach, kindKeyOf, objectRef } from './rule';
import { ALL_RULES, rulesFor } from './rule-pack';
import { RULE_SET_CONTEXT_KEY, ruleSetProblem } from './rule-sets';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { IMesh } from '../mesh/mesh';

/** Annotation listing the exceptions that cover an object: `RULE@expires,...`. */
export const EXCEPTION_ANNOTATION = 'secure-mesh.cdk8s.io/exceptions';

/** One rule violation found in the final manifests. */
export interface PolicyFinding {
  /** The rule broken. */
  readonly ruleId: string;
  /** Practices the rule implements. */
  readonly practices: string[];
  /** `error` fails synthesis; `warning` is reported. */
  readonly severity: string;
  /** The object, as `Kind/namespace/name` (`<mesh>` for a missing mesh-wide object). */
  readonly object: string;
  /** Construct path of the object (empty for a missing object). */
  readonly constructPath: string;
  /** JSON path in the object. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Construct path of the PolicyException that covers it, if any. */
  readonly exception?: string;
  /** For a workload, the `app` label of its pod template (what its pods carry). */
  readonly podTemplateApp?: string;
}

/** An exception in the report. */
export interface ExceptionRecord {
  /** Construct path of the exception. */
  readonly path: string;
  readonly rules: string[];
  readonly owner: string;
  readonly expires: string;
  readonly justification: string;
  /** Objects it names (`objects`). */
  readonly objects: string[];
  /** Ports it is limited to. */
  readonly ports: number[];
  /** Why it spans namespaces, if it does. */
  readonly meshWideReason?: string;
  /** Objects it relaxed a rule on. */
  readonly coveredObjects: string[];
  /** `valid`, `expiring` (within 14 days), `expired` or `stale` (covers nothing). */
  readonly status: string;
}

/** What enforcement found: findings (covered or not) and the exceptions. */
export interface PolicyReport {
  readonly findings: PolicyFinding[];
  readonly exceptions: ExceptionRecord[];
  /** The date "today" was overridden to (context `cdk8s-secure-mesh:today`), if it was: expiry was not checked against the real clock. */
  readonly clockOverride?: string;
}

interface Located {
  readonly object: RuleObject | undefined;
  readonly apiObject: ApiObject | undefined;
  readonly violation: RuleViolation;
  readonly rule: PolicyRule;
}


/** Context key naming the config file synthesis compares with the blueprint (default: ./secure-mesh.yaml). */
export const CONFIG_CONTEXT_KEY = 'cdk8s-secure-mesh:config';

/**
 * The settings file synthesis reads for the app of `scope`: the one the context key
 * `cdk8s-secure-mesh:config` names, else `./secure-mesh.yaml` when there is one. Throws, naming the
 * file and the field, when it cannot be read.
 */
export function appConfigFile(scope: IConstruct): SecureMeshConfig | undefined {
  const named: unknown = scope.node.tryGetContext(CONFIG_CONTEXT_KEY);
  return typeof named === 'string' ? SecureMeshConfig.fromFile(named) : SecureMeshConfig.find();
}

/**
 * The rule set the app of `scope` declares: the context key `cdk8s-secure-mesh:rule-set`, else the
 * settings file's; undefined (the latest) when neither does, or when the file cannot be read
 * (synthesis reports that).
 */
export function appRuleSet(scope: IConstruct): string | undefined {
  const fromContext: unknown = scope.node.tryGetContext(RULE_SET_CONTEXT_KEY);
  if (fromContext !== undefined) return String(fromContext);
  try {
    return appConfigFile(scope)?.ruleSet;
  } catch {
    return undefined;
  }
}

/** Exceptions already warned about in this process (synthesis validates once per chart). */
const warned = new Set<string>();

/**
 * Synth-time enforcement of the rule set over the FINAL rendered objects of the whole app
 * (OPS-1, EXC-1): after JSON patches, including raw ApiObjects, whatever construct wrote them.
 *
 * One per app, created by the library's constructs. Before any chart is written, every rule
 * runs over every object; a violation of an ERROR rule fails synthesis with the rule, the
 * object, its construct path, the field and the fix, unless an unexpired PolicyException
 * covers it. Covered objects are annotated with the exceptions that relax them.
 */
export class PolicyEnforcement extends Construct {
  /** The annotation synthesis stamps on objects a PolicyException covers (`RULE@YYYY-MM-DD,...`). */
  public static readonly EXCEPTION_ANNOTATION = EXCEPTION_ANNOTATION;

  /** The enforcement of the app `scope` belongs to, created on first use. */
  public static of(scope: IConstruct): PolicyEnforcement {
    const root = scope.node.root;
    return (root.node.tryFindChild(ENFORCEMENT_ID) as PolicyEnforcement | undefined) ?? new PolicyEnforcement(root as Construct, ENFORCEMENT_ID);
  }

  private mesh?: IMesh;
  private meshBaselineInApp = false;
  private readonly adminGroups = new Set<string>();
  private readonly operatorGroups = new Set<string>();
  private readonly appNamespaces = new Set<string>();
  private controlPlaneNamespace?: string;
  private hasRoleSets = false;
  private lastReport: PolicyReport = { findings: [], exceptions: [] };
  private lastContext?: RuleContext;
  private readonly readsReport = new Set<ApiObject>();
  private lastRun?: { readonly batch: HandOffBatch; readonly constructs: readonly IConstruct[]; readonly errors: string[] };
  private readonly registries = new Map<string, IConstruct[]>();
  private exceptionDaysLimit = DEFAULT_MAX_EXCEPTION_DAYS;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.enforce() });
  }

  /**
   * Records the mesh layout rules need (root and control-plane namespaces). `hasBaseline` is
   * true when the app defines the mesh baseline itself, so rules about its presence apply.
   *
   * @internal
   */
  public _useMesh(mesh: IMesh, hasBaseline: boolean): void {
    this.mesh ??= mesh;
    this.meshBaselineInApp ||= hasBaseline;
  }

  /**
   * Groups whose members are mesh administrators (RBAC rules allow them cluster-wide bindings
   * and CA secret reads).
   *
   * @internal
   */
  public _addMeshAdminGroup(group: string): void {
    this.adminGroups.add(group);
  }

  /**
   * The control-plane namespace when no mesh construct names it (e.g. role sets alone).
   *
   * @internal
   */
  public _useControlPlaneNamespace(namespace: string): void {
    this.controlPlaneNamespace ??= namespace;
    this.hasRoleSets = true;
  }

  /**
   * The mesh settings the app declares (its mesh, and its MeshRoleSets' groups), for
   * `SecureMeshConfig.fromApp`.
   *
   * @internal
   */
  public _declaredMesh(): { mesh?: IMesh; hasRoleSets: boolean; meshAdminGroups: string[]; operatorGroups: string[]; appNamespaces: string[] } {
    return {
      mesh: this.mesh,
      hasRoleSets: this.hasRoleSets,
      meshAdminGroups: [...this.adminGroups].sort(),
      operatorGroups: [...this.operatorGroups].sort(),
      appNamespaces: [...this.appNamespaces].sort(),
    };
  }

  /**
   * A namespace this app's repository owns, when it is an app team's repository applied by a
   * namespace-scoped sync (RepoSync, AppProject): once any is declared, REPO-SCOPE-001 reports
   * every object written outside the declared namespaces or cluster-scoped, and `appNamespaces`
   * in secure-mesh.yaml must list the same namespaces.
   *
   * @internal
   */
  public _declareAppNamespace(name: string): void {
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      throw new Error(`[${this.node.path}] app namespace "${String(name)}" is not a namespace name (DNS-1123 label)`);
    }
    this.appNamespaces.add(name);
  }

  /**
   * An exception registry of the app, for `namespace`.
   *
   * @internal
   */
  public _addRegistry(namespace: string, registry: IConstruct): void {
    this.registries.set(namespace, [...(this.registries.get(namespace) ?? []), registry]);
  }

  /**
   * The namespace of the registry that records exceptions of the object `ref` (`Kind/ns/name`):
   * its own, or the control plane's for a cluster-scoped object.
   *
   * @internal
   */
  public _registryNamespaceOf(ref: string): string {
    return namespaceOfRef(ref) || (this.mesh?.controlPlaneNamespace ?? this.controlPlaneNamespace ?? 'istio-system');
  }

  /**
   * The longest an exception may last, in days from the day synthesis checks it.
   *
   * @internal
   */
  public _useMaxExceptionDays(days: number): void {
    if (!Number.isInteger(days) || days < 1 || days > MAX_EXCEPTION_DAYS_LIMIT) {
      throw new Error(`[${this.node.path}] maxExceptionDays: ${days} is not a whole number of days from 1 to ${MAX_EXCEPTION_DAYS_LIMIT}`);
    }
    this.exceptionDaysLimit = days;
  }

  /** The longest an exception may last, in days from the day it is checked (the mesh's `maxExceptionDays`, default 90). */
  public get maxExceptionDays(): number {
    return this.exceptionDaysLimit;
  }

  /**
   * Groups of operators (security admins, auditors) who may hold ClusterRoleBindings.
   *
   * @internal
   */
  public _addOperatorGroup(group: string): void {
    this.operatorGroups.add(group);
  }

  /**
   * Marks an object whose content is computed from this enforcement's report (e.g. the
   * exceptions ConfigMap): it is rendered after enforcement, never handed the pre-enforcement
   * rendering.
   *
   * @internal
   */
  public _rendersFromReport(apiObject: ApiObject): void {
    this.readsReport.add(apiObject);
  }

  /**
   * The rule context of the last check (objects as rendered, mesh layout, groups), for objects
   * rendered from it (`_rendersFromReport`); undefined before the first check.
   *
   * @internal
   */
  public _lastContext(): RuleContext | undefined {
    return this.lastContext;
  }

  /** The report of the last synthesis (findings, covered or not, and the exceptions). */
  public get report(): PolicyReport {
    return this.lastReport;
  }

  /**
   * The checks outside synthesis (audit, access, plugin, AccessMatrix) read `secure-mesh.yaml`
   * (or the file the context key `cdk8s-secure-mesh:config` names): when it disagrees with what
   * this app declares, synthesis fails, so the file cannot drift from the mesh.
   */
  private configDrift(config: SecureMeshConfig | undefined): string[] {
    if (!config) return [];
    const differences = config.differencesFrom(this);
    if (differences.length === 0) return [];
    return [`MESH-CONFIG (OPS-1): ${config.source} disagrees with the blueprint's MeshBaseline/MeshRoleSets: ${differences.join('; ')}. `
      + 'The audit, the access command, the validation plugin and AccessMatrix read that file. '
      + `Fix: write SecureMeshConfig.fromApp(app).toYaml() to it, i.e.\n${SecureMeshConfig.fromApp(this).toYaml()}`];
  }

  /** The config file synthesis reads (`./secure-mesh.yaml` or the one the context names), or the error reading it. */
  private readConfig(): { readonly config?: SecureMeshConfig; readonly error?: string } {
    try {
      return { config: appConfigFile(this) };
    } catch (e) {
      return { error: `[${this.node.path}] ${(e as Error).message}` };
    }
  }

  /**
   * The rule set the app declares: the context key `cdk8s-secure-mesh:rule-set`, else `ruleSet`
   * in the config file, else undefined (the latest set).
   */
  private declaredRuleSet(config: SecureMeshConfig | undefined): { readonly ruleSet?: string; readonly error?: string } {
    const value: unknown = this.node.tryGetContext(RULE_SET_CONTEXT_KEY);
    if (value === undefined) return { ruleSet: config?.ruleSet };
    const name = typeof value === 'number' ? String(value) : value;
    const problem = ruleSetProblem(name);
    return problem ? { error: `[${this.node.path}] context ${RULE_SET_CONTEXT_KEY}: ${problem}` } : { ruleSet: name as string };
  }

  /** Runs the rules and returns the errors that fail synthesis. */
  private enforce(): string[] {
    const root = this.node.root;
    const constructs = root.node.findAll();
    // cdk8s validates the app again inside each chart.toJson(): while the last clean run's batch
    // stands (same synchronous run, nothing rendered twice) and no construct was added, so does
    // its result. A failed run is always repeated, so a fix made in the same run is seen.
    // The same constructs, by identity (a child removed and another added keeps the count, not the identity).
    if (this.lastRun?.batch.intact && this.lastRun.errors.length === 0 && sameConstructs(this.lastRun.constructs, constructs)) return [];
    const batch = HandOffBatch.begin((apiObject) => this.rerender(apiObject));
    const clock = this.clock();
    const today = clock.today;
    const rendered: { readonly apiObject: ApiObject; readonly object: RuleObject }[] = [];
    const exceptions: PolicyException[] = [];
    for (const c of constructs) {
      if (c instanceof ApiObject) rendered.push({ apiObject: c, object: c.toJson() });
      else if (c instanceof PolicyException) exceptions.push(c);
    }
    const context: RuleContext = {
      objects: rendered.map((r) => r.object),
      rootNamespace: this.mesh?.rootNamespace ?? 'istio-system',
      controlPlaneNamespace: this.mesh?.controlPlaneNamespace ?? this.controlPlaneNamespace ?? 'istio-system',
      meshAdminGroups: [...this.adminGroups].sort(),
      operatorGroups: [...this.operatorGroups].sort(),
      allowedRegistries: [...(this.mesh?.allowedRegistries ?? [])],
      ...(this.mesh ? { proxyImageRepositories: [...this.mesh.proxyImageRepositories] } : {}),
      ...(this.appNamespaces.size > 0 ? { appNamespaces: [...this.appNamespaces].sort() } : {}),
    };
    this.lastContext = context;
    const { config, error: configError } = this.readConfig();
    const { ruleSet, error: ruleSetError } = this.declaredRuleSet(config);
    const errors: string[] = [...(configError ? [configError] : []), ...(ruleSetError ? [ruleSetError] : []), ...this.configDrift(config),
      ...(clock.error ? [clock.error] : [])];
    // Audit-only rules judge several repositories' outputs together (see PolicyRule.auditOnly).
    const rules = rulesFor(ruleSetError ? undefined : ruleSet).filter((r) => !r.auditOnly);
    const known = new Set(ALL_RULES.map((r) => r.id));
    for (const ex of exceptions) {
      const unknown = ex.rules.filter((r) => !known.has(r));
      if (unknown.length) errors.push(`[${ex.node.path}] rules: unknown rule id(s) ${unknown.join(', ')}. Use ids of the rule set, e.g. ${ALL_RULES[0].id}`);
      if (ex.isExpired(today)) {
        errors.push(`[${ex.node.path}] expires: the exception expired on ${ex.expires} (today is ${today}; owner ${ex.owner}). `
          + 'Fix what it excepted, or renew it with a new justification and date');
      } else if (ex.daysLeft(today) > this.exceptionDaysLimit) {
        errors.push(`[${ex.node.path}] expires: ${ex.expires} is ${ex.daysLeft(today)} days away (today is ${today}); an exception lasts at most `
          + `${this.exceptionDaysLimit} days (MeshBaseline maxExceptionDays). Fix: give an expiry within ${this.exceptionDaysLimit} days and renew it `
          + 'with a fresh review when it runs out');
      }
    }

    const located: Located[] = [];
    const keys = context.objects.map(kindKeyOf);
    for (const rule of rules) {
      for (const { index, violation } of checkEach([rule], context.objects, context, keys)) located.push({ ...rendered[index], violation, rule });
      for (const { object, violation } of rule.checkAll?.(context) ?? []) {
        if (!object && !this.meshBaselineInApp) continue;
        located.push({ object, apiObject: object ? rendered.find((r) => r.object === object)?.apiObject : undefined, violation, rule });
      }
    }

    const coveredBy = new Map<PolicyException, Set<string>>();
    const annotated = new Set<ApiObject>();
    const findings: PolicyFinding[] = [];
    for (const l of located) {
      const ex = exceptions.find((e) => !e.isExpired(today) && this.covers(e, l));
      const ref = objectRef(l.object);
      if (ex) {
        coveredBy.set(ex, (coveredBy.get(ex) ?? new Set()).add(ref));
        if (l.apiObject) {
          l.apiObject.metadata.addAnnotation(EXCEPTION_ANNOTATION, this.stampsFor(l.apiObject, exceptions, located, today));
          annotated.add(l.apiObject);
        }
      }
      findings.push({
        ruleId: l.rule.id,
        practices: [...l.rule.practices],
        severity: l.rule.severity,
        object: ref,
        constructPath: l.apiObject?.node.path ?? '',
        path: l.violation.path,
        message: l.violation.message,
        fix: l.rule.fix,
        exception: ex?.node.path,
        podTemplateApp: podTemplateApp(l.object),
      });
      if (!ex && l.rule.severity === RuleSeverity.ERROR) {
        const where = l.apiObject ? `[${l.apiObject.node.path}] ${ref}` : ref;
        errors.push(`${l.rule.id} (${l.rule.practices.join(', ')}): ${where}${l.violation.path ? ` ${l.violation.path}` : ''}: ${l.violation.message}. `
          + `Fix: ${l.rule.fix}`);
      }
    }
    errors.push(...this.registryProblems(findings, located, exceptions, today));
    for (const e of exceptions) {
      const left = e.daysLeft(today);
      const key = `${e.node.path}@${today}`;
      if (left >= 0 && left <= EXPIRY_WARNING_DAYS && coveredBy.has(e) && !warned.has(key)) {
        warned.add(key);
        process.emitWarning(`PolicyException ${e.node.path} (${e.rules.join(', ')}, owner ${e.owner}) expires on ${e.expires}, in ${left} day(s): `
          + 'fix what it excepts or renew it with a new justification', { code: 'SECURE_MESH_EXCEPTION_EXPIRING' });
      }
    }
    // What cdk8s writes next is what the rules checked. Objects built from the report render again.
    // An object stamped with its exceptions renders once more here, and must equal the checked
    // document but for the stamp: a toJson that answers differently the second time (an own
    // toJson, a Lazy that swaps objects) fails synthesis instead of writing something unchecked.
    for (const r of rendered) {
      if (this.readsReport.has(r.apiObject)) continue;
      if (!annotated.has(r.apiObject)) {
        batch.handOff(r.apiObject, r.object);
        continue;
      }
      const stamped = r.apiObject.toJson();
      if (!sameButForStamp(stamped, r.object)) {
        errors.push(`[${r.apiObject.node.path}] ${objectRef(r.object)}: renders differently each time (its toJson or a Lazy value changed `
          + 'between the check and the output), so what would be written is not what the rules checked. Fix: render the same document '
          + 'every time; compute values before synthesis');
      } else {
        batch.handOff(r.apiObject, stamped);
      }
    }
    this.lastReport = {
      findings,
      exceptions: exceptions.map((e) => {
        const covered = [...(coveredBy.get(e) ?? [])].sort();
        const status = e.isExpired(today) ? 'expired' : covered.length === 0 ? 'stale' : e.daysLeft(today) <= EXPIRY_WARNING_DAYS ? 'expiring' : 'valid';
        return {
          path: e.node.path,
          rules: e.rules,
          owner: e.owner,
          expires: e.expires,
          justification: e.justification,
          objects: e.objects,
          ports: e.ports,
          ...(e.meshWideReason ? { meshWideReason: e.meshWideReason } : {}),
          coveredObjects: covered,
          status,
        };
      }),
      ...(clock.override ? { clockOverride: clock.override } : {}),
    };
    this.lastRun = { batch, constructs, errors };
    if (errors.length === 0) writeConstructPaths(root, rendered);
    return errors;
  }

  /**
   * An object rendered a second time in one synchronous run (a chart synthesized again, a
   * `toJson()` by hand) may have changed since it was checked: check the app again, fail like a
   * validation would, and give the object's freshly checked document.
   */
  private rerender(apiObject: ApiObject): unknown {
    const errors = this.enforce();
    if (errors.length > 0) {
      throw new Error(`Validation failed with the following errors:\n  ${errors.map((e) => `[${this.node.path}] ${e}`).join('\n  ')}`);
    }
    return apiObject.toJson();
  }

  /**
   * Whether an exception covers a violation: its rule, one of its listed objects, within its
   * scope if it has one, and, for a violation about a port, that port listed.
   */
  private covers(ex: PolicyException, l: Located): boolean {
    if (!ex.rules.includes(l.rule.id) || !l.object || !l.apiObject) return false;
    if (!ex.objects.includes(objectRef(l.object))) return false;
    if (ex.coveredScope) {
      const scopePath = ex.coveredScope.node.path;
      const path = l.apiObject.node.path;
      if (scopePath !== '' && path !== scopePath && !path.startsWith(`${scopePath}/`)) return false;
    }
    return l.violation.port === undefined || ex.ports.includes(l.violation.port);
  }

  /** "Today" for expiry, and whether it was overridden: an override is always announced, a malformed one is an error. */
  private clock(): { readonly today: string; readonly override?: string; readonly error?: string } {
    let override: string | undefined;
    try {
      override = PolicyException.clockOverride(this);
    } catch (e) {
      return { today: new Date().toISOString().slice(0, 10), error: (e as Error).message };
    }
    if (!override) return { today: new Date().toISOString().slice(0, 10) };
    if (!warned.has(`clock@${override}`)) {
      warned.add(`clock@${override}`);
      process.emitWarning(`synthesis checks exception expiry against ${override}, not the real date (context ${CLOCK_CONTEXT_KEY}); `
        + 'the exception registries record the override and the CI audit uses the real date', { code: 'SECURE_MESH_CLOCK_OVERRIDE' });
    }
    return { today: override, override };
  }

  /**
   * Every excepted object is recorded in the registry of its namespace (the control plane's for a
   * cluster-scoped object), which the app must write, and no namespace has two registries.
   */
  private registryProblems(findings: PolicyFinding[], located: Located[], exceptions: PolicyException[], today: string): string[] {
    const problems: string[] = [];
    for (const [namespace, claimed] of [...this.registries.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (claimed.length > 1) {
        problems.push(`[${claimed[1].node.path}] namespace: ${namespace} already has the exception registry ${claimed[0].node.path}. `
          + 'Fix: one registry per namespace, written by the repository that owns the namespace');
      }
    }
    const missing = new Map<string, Set<string>>();
    findings.forEach((f, i) => {
      if (!f.exception) return;
      const namespace = this._registryNamespaceOf(f.object);
      if (!this.registries.has(namespace)) missing.set(namespace, (missing.get(namespace) ?? new Set()).add(`${f.object} (${located[i].rule.id})`));
    });
    for (const [namespace, objects] of missing) {
      const ex = exceptions.find((e) => !e.isExpired(today) && [...objects].some((o) => e.objects.some((ref) => o.startsWith(`${ref} `))));
      problems.push(`[${ex?.node.path ?? this.node.path}] no exception registry records namespace ${namespace}, where ${[...objects].sort().join(', ')} `
        + 'is excepted. Fix: declare the namespace with HardenedNamespace (it writes the registry), add '
        + `new ExceptionRegistry(scope, 'exceptions', { namespace: '${namespace}' }), or, for the control plane and cluster-scoped objects, MeshBaseline`);
    }
    return problems;
  }

  private stampsFor(apiObject: ApiObject, exceptions: PolicyException[], located: Located[], today: string): string {
    const stamps = new Set<string>();
    for (const l of located.filter((x) => x.apiObject === apiObject)) {
      const ex = exceptions.find((e) => !e.isExpired(today) && this.covers(e, l));
      if (ex) stamps.add(ex.stamp(l.rule.id));
    }
    return [...stamps].sort().join(',');
  }
}

/** The `app` label of a workload's pod template (CronJobs: of the job template's). */
function podTemplateApp(o: RuleObject | undefined): string | undefined {
  const template = o?.spec?.template ?? o?.spec?.jobTemplate?.spec?.template;
  const app = template?.metadata?.labels?.app;
  return typeof app === 'string' ? app : undefined;
}

export { CLOCK_CONTEXT_KEY };

/** Whether `a` equals `b` once the exception stamp (and an annotations map left empty by removing it) is removed from both. */
function sameButForStamp(a: unknown, b: unknown): boolean {
  const strip = (doc: unknown): unknown => {
    const copy = JSON.parse(JSON.stringify(doc ?? null));
    const annotations = copy?.metadata?.annotations;
    if (annotations && typeof annotations === 'object') {
      delete annotations[EXCEPTION_ANNOTATION];
      if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
    }
    return copy;
  };
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/** Whether two lists hold the same constructs, in the same order (by identity). */
function sameConstructs(a: readonly IConstruct[], b: readonly IConstruct[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
