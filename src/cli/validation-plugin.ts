import { AUDIT_RULES, AuditFinding, auditManifests, auditSettingsOf, isFailing } from '../audit/audit';
import { formatIssue, loadManifests } from '../audit/manifest-loader';
import { summaryLine } from '../audit/reporters/report';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { readConstructPaths } from '../policy/construct-paths';
import { ALL_RULES } from '../policy/rule-pack';

/**
 * The part of cdk8s-cli's `ValidationContext` the plugin uses (declared here so the library does
 * not depend on cdk8s-cli's types).
 */
export interface ValidationContextLike {
  /** Paths of the synthesized manifest files. */
  readonly manifests: readonly string[];
  readonly report: {
    addViolation(violation: {
      readonly ruleName: string;
      readonly recommendation: string;
      readonly fix: string;
      readonly violatingResources: readonly { readonly resourceName: string; readonly locations: readonly string[]; readonly manifestPath: string }[];
    }): void;
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  readonly logger: { log(message: string): void };
}

/**
 * Properties of the plugin: the `properties:` of its `validations:` entry in cdk8s.yaml.
 */
export interface SecureMeshValidationProps {
  /**
   * The mesh settings file (relative to where `cdk8s synth` runs). The properties below override
   * single settings of it.
   * @default - ./secure-mesh.yaml when it exists, else the defaults
   */
  readonly config?: string;
  /** The mesh root namespace. @default - the config file's, else 'istio-system' */
  readonly rootNamespace?: string;
  /** The namespace istiod runs in. @default - the config file's, else the root namespace */
  readonly controlPlaneNamespace?: string;
  /** Groups of mesh administrators (replaces the config file's list). @default - the config file's, else none */
  readonly meshAdminGroups?: string[];
  /** Other operator groups allowed ClusterRoleBindings (replaces the config file's list). @default - the config file's, else none */
  readonly operatorGroups?: string[];
  /** Registries images may come from (replaces the config file's list). @default - the config file's, else any */
  readonly allowedRegistries?: string[];
  /** The rule set the app was written against: newer rules report as warnings. @default - the config file's ruleSet, else the latest */
  readonly ruleSet?: string;
  /** Whether the app must contain the mesh baseline. @default - when any object is in the root namespace */
  readonly expectMeshBaseline?: boolean;
  /** `error`, `warning` or `none`: the lowest severity that fails the validation. @default 'error' */
  readonly failOn?: string;
}

/**
 * A cdk8s-cli validation plugin (OPS-1): `cdk8s synth` runs the audit over every manifest the
 * app synthesized, with the same rule set as synthesis and the `audit` command. Each rule with
 * findings is one violation (its resources: the objects, with field and message); excepted
 * findings are logged, not reported. The report fails when a finding at or above `failOn` is not
 * excepted, or when a manifest cannot be read.
 *
 * Catches what synth-time enforcement cannot: objects from charts that use no construct of this
 * library (Helm charts, `Include`, raw ApiObjects), exceptions expired since the last synth, and
 * hand-written exception annotations the namespace's exception registry does not back (the same
 * acceptance rule as the `audit` command). Expiry is judged against the system clock, always.
 */
export class SecureMeshValidation {
  private readonly props: SecureMeshValidationProps;

  constructor(props: SecureMeshValidationProps = {}) {
    this.props = props;
  }

  /** Runs the audit and submits the report (called by cdk8s-cli). */
  public async validate(context: ValidationContextLike): Promise<void> {
    const failOn = this.props.failOn ?? 'error';
    if ('today' in (this.props as object)) {
      // The property existed once: refuse it loudly rather than ignore it, so a CI configuration that
      // still sets it learns the clock no longer moves.
      context.report.addViolation({
        ruleName: 'CONFIG-INVALID',
        recommendation: 'Exceptions expire against the system clock: the plugin has no property to move it.',
        fix: 'Remove the property "today" from the plugin\'s properties in cdk8s.yaml; tests that need a date pass `today` to auditManifests.',
        violatingResources: [],
      });
      context.report.submit('failure', { config: this.props.config ?? SecureMeshConfig.FILE_NAME });
      return;
    }
    let config: SecureMeshConfig;
    try {
      config = SecureMeshConfig.load(this.props.config, {
        rootNamespace: this.props.rootNamespace,
        controlPlaneNamespace: this.props.controlPlaneNamespace,
        meshAdminGroups: this.props.meshAdminGroups,
        operatorGroups: this.props.operatorGroups,
        allowedRegistries: this.props.allowedRegistries,
        ruleSet: this.props.ruleSet,
      });
    } catch (e) {
      context.report.addViolation({
        ruleName: 'CONFIG-INVALID',
        recommendation: 'The mesh settings the audit trusts come from one reviewed file (SecureMeshConfig).',
        fix: `Fix the file or the plugin properties in cdk8s.yaml: ${(e as Error).message}`,
        violatingResources: [],
      });
      context.report.submit('failure', { config: this.props.config ?? SecureMeshConfig.FILE_NAME });
      return;
    }
    const loaded = loadManifests(context.manifests);
    const result = auditManifests(loaded.manifests, {
      ...auditSettingsOf(config),
      expectMeshBaseline: this.props.expectMeshBaseline,
    });
    const sharedNames = namesOfSeveralObjects(loaded.manifests.map((m) => m.object));
    const constructs = readConstructPaths(context.manifests);
    for (const issue of loaded.issues.filter((i) => i.severity === 'warning')) context.logger.log(formatIssue(issue));
    const reported = result.findings.filter((f) => !f.excepted);
    for (const f of result.findings.filter((x) => x.excepted)) {
      const e = f.exception;
      context.logger.log(`${f.ruleId}: ${f.object} excepted until ${f.exceptionExpires}${e ? `, owner ${e.owner} (exception ${e.id}, registry ${e.registry})` : ''}`);
    }
    const byRule = new Map<string, AuditFinding[]>();
    for (const f of reported) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
    for (const [ruleId, findings] of byRule) {
      const first = findings[0];
      const rule = AUDIT_RULES.find((r) => r.id === ruleId);
      context.report.addViolation({
        ruleName: `${ruleId} (${first.severity}; ${first.practices.join(', ')})`,
        recommendation: rule ? `${rule.title}. ${rule.explanation}` : first.message,
        fix: first.fix,
        violatingResources: findings.map((f) => ({
          resourceName: resourceName(f.object, sharedNames),
          locations: [`${f.object}${f.path ? ` ${f.path}` : ''} (line ${f.line ?? '?'}${constructs.has(f.object) ? `, construct ${constructs.get(f.object)}` : ''}): ${f.message}`],
          manifestPath: f.file ?? '',
        })),
      });
    }
    const loadErrors = loaded.issues.filter((i) => i.severity === 'error');
    if (loadErrors.length > 0) {
      context.report.addViolation({
        ruleName: 'INPUT-UNREADABLE',
        recommendation: 'Every synthesized manifest must be readable YAML of Kubernetes objects.',
        fix: 'Check what wrote the files; the audit skipped them.',
        violatingResources: loadErrors.map((i) => ({ resourceName: i.file, locations: [formatIssue(i)], manifestPath: i.file })),
      });
    }
    const failed = loadErrors.length > 0 || reported.some((f) => isFailing(f, failOn));
    const s = result.summary;
    context.report.submit(failed ? 'failure' : 'success', {
      'summary': summaryLine(s),
      'rules': String(ALL_RULES.length),
      'fail-on': failOn,
      'settings': config.source,
    });
  }
}

/** The name in a `Kind/namespace/name` reference. */
function nameOf(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** Names carried by more than one object (another kind or namespace). */
function namesOfSeveralObjects(objects: readonly any[]): Set<string> {
  const count = new Map<string, number>();
  for (const o of objects) {
    const name = o?.metadata?.name;
    if (typeof name === 'string') count.set(name, (count.get(name) ?? 0) + 1);
  }
  return new Set([...count].filter(([, n]) => n > 1).map(([name]) => name));
}

/**
 * The resource name reported to cdk8s-cli. cdk8s-cli finds the construct path by resource name
 * alone (its construct metadata is keyed by name), so a name several objects share would show
 * another object's construct: such findings are reported as `Kind/namespace/name`, which names
 * the object exactly and matches no construct entry, rather than a wrong path; the location then
 * names the construct from secure-mesh-constructs.json (keyed by kind, namespace and name).
 */
function resourceName(ref: string, sharedNames: ReadonlySet<string>): string {
  const name = nameOf(ref);
  return sharedNames.has(name) ? ref : name;
}
